"""The study runner with real processes: killed at random moments and rerun,
two runners on one root, submitit's local executor (with jobs of two
processes), and printed per-stage commands.

The study is the demo's smoke variant, mostly over two seeds: one source,
two baselines and two transfers.
"""

import csv
import glob
import os
import subprocess
import sys

import pytest

from conftest import REPO, main, stage_manifests

SEEDS = '--config.seeds=(0, 1)'
TINY = 'train=24&validation=8'


def _args(root, data_dir, *more):
  return ('--config=configs/demo.py:smoke', f'--workdir={root}',
          f'--config.data_dir={data_dir}', SEEDS, *more)


def _read(path):
  with open(path) as f:
    return f.read()


def _manifests(root):
  return {key: manifest for key, (_, manifest) in stage_manifests(root).items()}


def _assert_study_done(root, attempts=None):
  manifests = _manifests(root)
  assert sorted(m['role'] for m in manifests.values()) == [
      'baseline', 'baseline', 'source', 'target', 'target']
  assert all(m['state'] == 'finished' for m in manifests.values())
  if attempts is not None:
    assert {k: m['attempts'] for k, m in manifests.items()} == {k: attempts for k in manifests}
  with open(os.path.join(root, 'results.csv')) as f:
    rows = list(csv.DictReader(f))
  assert sorted(r['seed'] for r in rows) == ['0', '1']
  return manifests, rows


def test_a_study_killed_at_random_moments_ends_bitwise_equal(tmp_path, xla_cache):
  """bench/torture.py, short: a SIGKILL in the source and a SIGTERM in the
  baseline, each stage 4 steps with a checkpoint every 2 (the reliability
  tests SIGTERM a transfer)."""
  stages = [f'--config.{s}.{key}={value}' for s in ('sources.sunny_seg', 'targets.foggy_depth')
            for key, value in (('steps', 4), ('checkpoint_every', 2))]
  stages += [f'--config.sources.sunny_seg.dataset=synthetic_sunny?{TINY}',
             f'--config.targets.foggy_depth.dataset=synthetic_foggy?{TINY}']
  run = subprocess.run(
      [sys.executable, 'bench/torture.py', '--kills=2', '--term_every=2', '--seed=1',
       f'--root={tmp_path}', '--', '--config=configs/demo.py:smoke',
       f'--config.data_dir={tmp_path / "tfds"}', *stages],
      cwd=REPO, env=dict(os.environ, JAX_COMPILATION_CACHE_DIR=xla_cache),
      capture_output=True, text=True, timeout=1200, check=False)
  assert run.returncode == 0, run.stdout + _read(str(tmp_path / 'log.txt'))[-5000:]
  kills = [line for line in run.stdout.splitlines() if line.startswith('kill ')]
  assert [k.split()[2] for k in kills] == ['SIGKILL', 'SIGTERM'], run.stdout
  assert 'exit 75' in kills[1] or 'exit -15' in kills[1], run.stdout
  assert 'bitwise equal to the uninterrupted run' in run.stdout
  assert 'taking it over' in _read(str(tmp_path / 'log.txt'))


def test_two_runners_on_one_root_train_every_stage_once(tmp_path, synthetic_data_dir,
                                                        xla_cache):
  root = str(tmp_path / 'root')
  logs = [str(tmp_path / f'runner{i}') for i in range(2)]
  processes = [main(*_args(root, synthetic_data_dir), cache=xla_cache, log=log)
               for log in logs]
  for process, log in zip(processes, logs):
    assert process.wait(timeout=900) == 0, _read(f'{log}.err')[-5000:]
  _assert_study_done(root, attempts=1)
  summary = lambda log: _read(f'{log}.out').strip().splitlines()[-3:]
  assert summary(logs[0]) == summary(logs[1])  # Both print the same summary.
  hosts = {(m['host'], m['pid']) for m in _manifests(root).values()}
  assert len(hosts) == 2, 'both runners trained stages'


def test_submitit_local_executor_runs_multi_process_stages_in_chunks(
    tmp_path, demo_run, synthetic_data_dir, xla_cache):
  """Each array task a job of two processes (--tasks_per_node=2, one CPU
  device each), two stages per task: the same metrics as one process with
  two devices (demo_run), within 1e-5."""
  root = str(tmp_path / 'root')
  run = main('--config=configs/demo.py:smoke', f'--workdir={root}',
             f'--config.data_dir={synthetic_data_dir}', '--cluster=local', '--stages_per_task=2',
             '--tasks_per_node=2', cache=xla_cache, env={'XLA_FLAGS': ''})
  assert run.returncode == 0, run.stderr[-5000:]
  assert run.stdout.splitlines()[-6:] == demo_run[1].stdout.splitlines()[-6:]
  manifests = _manifests(root)
  assert sorted(m['role'] for m in manifests.values()) == ['baseline', 'source', 'target']
  reference = _manifests(demo_run[0])
  for key, manifest in manifests.items():
    for name, value in manifest['metrics'].items():
      assert value == pytest.approx(reference[key]['metrics'][name], rel=1e-5, abs=1e-5)
  # Level 0 (source, baseline) in one job, level 1 in another, then collect.
  assert len({m['pid'] for m in manifests.values()}) == 2
  assert len(glob.glob(os.path.join(root, 'submitit', '*', '*_result.pkl'))) == 2 * 2 + 1


def test_printed_commands_train_one_stage_each(tmp_path, synthetic_data_dir, xla_cache):
  root = str(tmp_path / 'root')
  printed = main(*_args(root, synthetic_data_dir, '--print_commands'), cache=xla_cache)
  assert printed.returncode == 0, printed.stderr[-5000:]
  lines = printed.stdout.strip().splitlines()
  assert len(lines) == 5 and all(' --stage=' in line for line in lines)
  assert not os.path.exists(os.path.join(root, 'stages'))
  transfer_key = lines[-1].rsplit('=', 1)[1]
  early = main(*_args(root, synthetic_data_dir, f'--stage={transfer_key}'), cache=xla_cache)
  assert early.returncode == 1 and 'Traceback' not in early.stderr
  assert 'which is not finished' in early.stderr and 'where: config.targets.foggy_depth' in early.stderr
  source_key = lines[0].rsplit('=', 1)[1]
  first = main(*_args(root, synthetic_data_dir, f'--stage={source_key}'), cache=xla_cache)
  assert first.returncode == 0, first.stderr[-5000:]
  assert [m['role'] for m in _manifests(root).values()] == ['source']
  again = main(*_args(root, synthetic_data_dir, '--print_commands'), cache=xla_cache)
  assert again.stdout.strip().splitlines() == lines[1:]


@pytest.mark.parametrize('flag,needle', [
    ('--stage=000000000000', "no stage with key '000000000000'"),
    ('--config.pairs=sunny_seg:nowhere', "Pair 'sunny_seg:nowhere'"),
])
def test_bad_stage_or_pair_is_one_clear_error(tmp_path, flag, needle):
  run = main(*_args(tmp_path, tmp_path / 'tfds', flag))
  assert run.returncode == 1 and needle in run.stderr and 'Traceback' not in run.stderr
