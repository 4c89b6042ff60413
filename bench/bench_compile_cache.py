"""Train-step compile time of repeated stages, with and without a study's compilation cache.

Runs one study twice through main.py, each in a fresh root and process: with
`compilation_cache=True` (the default: ROOT/cache/xla) and with it off, and
prints each stage's `compile_seconds` from its manifest side by side. The
default study is the demo's smoke variant over two seeds (one source, two
baselines, two transfers; the baselines and transfers share one shape).

  python bench/bench_compile_cache.py [--data_dir DIR] [-- --config.model.backbone=hrnet ...]

Extra arguments after `--` go to main.py (e.g. `--config.model.backbone=hrnet
--config.model.hrnet.width=18` for the HRNet-W18 of the paper's scale).
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(root, cache: bool, args) -> dict[str, float]:
  env = {k: v for k, v in os.environ.items() if k != 'JAX_COMPILATION_CACHE_DIR'}
  command = [sys.executable, 'main.py', *args, f'--workdir={root}',
             f'--config.compilation_cache={cache}']
  subprocess.run(command, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)
  out = {}
  for path in sorted(glob.glob(os.path.join(root, 'stages', '*', 'manifest.json'))):
    with open(path) as f:
      manifest = json.load(f)
    out[manifest['name']] = (manifest['started'], manifest['compile_seconds'])
  return {name: seconds for name, (_, seconds) in sorted(out.items(), key=lambda x: x[1][0])}


def main():
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--config', default='configs/demo.py:smoke')
  parser.add_argument('--seeds', default='(0, 1)')
  parser.add_argument('--data_dir', default=None)
  parser.add_argument('extra', nargs='*')
  args = parser.parse_args()
  main_args = [f'--config={args.config}', f'--config.seeds={args.seeds}', *args.extra]
  if args.data_dir:
    main_args.append(f'--config.data_dir={args.data_dir}')
  with tempfile.TemporaryDirectory() as tmp:
    cached = _run(os.path.join(tmp, 'cached'), True, main_args)
    uncached = _run(os.path.join(tmp, 'uncached'), False, main_args)
  print(f'{"stage (in training order)":<62}{"no cache (s)":>13}{"cache (s)":>11}{"ratio":>8}')
  for name, seconds in cached.items():
    print(f'{name:<62}{uncached[name]:>13.2f}{seconds:>11.2f}{uncached[name] / seconds:>8.1f}')
  total_cached, total_uncached = sum(cached.values()), sum(uncached.values())
  print(f'{"total":<62}{total_uncached:>13.2f}{total_cached:>11.2f}'
        f'{total_uncached / total_cached:>8.1f}')


if __name__ == '__main__':
  main()
