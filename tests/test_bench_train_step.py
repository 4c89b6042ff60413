"""bench/train_step.py runs, beside PyTorch, and prints its ratio (tiny settings)."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_train_step_bench_prints_both_steps_and_their_ratio():
  result = subprocess.run(
      [sys.executable, 'bench/train_step.py', '--arch', 'resnet18', '--res', '64',
       '--batch', '2', '--steps', '1', '--vs-torch', '--peak-tflops', '1'],
      cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  out = result.stdout
  ours = float(re.search(r'^ours: .* step ([\d.]+) s, ([\d.]+) img/s', out, re.M).group(1))
  theirs = float(re.search(r'^PyTorch eager: .* step ([\d.]+) s', out, re.M).group(1))
  ratio = float(re.search(r'^ratio ours / PyTorch eager: ([\d.]+)x', out, re.M).group(1))
  assert abs(ratio - theirs / ours) <= 0.01 + 0.01 * ratio
  # Both models have the same parameters: resnet18 with the same FPN and head.
  params = re.findall(r'([\d.]+)M params', out)
  assert len(params) == 2 and params[0] == params[1], out
  assert re.search(r'^MFU: [\d.]+%', out, re.M), out
