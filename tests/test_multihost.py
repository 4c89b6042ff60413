"""Multi-process jobs on localhost (`python -m transfer.launch`): two
processes train a stage as one does, and checkpoints move between topologies.

Every multi-process run is bounded by `timeout -s KILL` (JAX's processes
take SIGTERM for its preemption service) and uses free ports.
"""

import glob
import json
import os
import subprocess
import sys
import time

import jax
import numpy as np
import pytest
import tensorflow as tf

from conftest import REPO, main, stage_manifests
import restore_stage
from transfer import checkpoints, config_base, launch, optim, sharding, trainer

DEMO = '--config=configs/demo.py:smoke'
HARD_TIMEOUT = 600


def _launch(processes, *command, timeout=HARD_TIMEOUT, **env):
  return subprocess.run(
      ['timeout', '-s', 'KILL', str(timeout), sys.executable, '-m', 'transfer.launch',
       f'--processes={processes}', '--devices_per_process=1', f'--timeout={timeout - 30}',
       '--', *command], cwd=REPO, env=dict(os.environ, **env), capture_output=True, text=True,
      check=False)


def _source(root):
  """(stage directory, manifest) of the study's source stage."""
  return next(v for v in stage_manifests(root).values() if v[1]['role'] == 'source')


def _losses(stage_dir) -> dict[int, float]:
  return {event.step: float(tf.make_ndarray(value.tensor))
          for path in glob.glob(os.path.join(stage_dir, 'events.out.tfevents.*'))
          for event in tf.compat.v1.train.summary_iterator(path)
          for value in event.summary.value if value.tag == 'train/loss'}


def _assert_close(a, b):
  jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-5), a, b)


@pytest.fixture(scope='module')
def runs(demo_run, tmp_path_factory, synthetic_data_dir, xla_cache):
  """The demo's smoke study in one process with 2 CPU devices (`demo_run`),
  and its source stage in two processes with one each: the same global
  batch of 8 on 2 devices. (tests/test_runner.py runs the whole study in
  jobs of two processes through submitit.)"""
  one, single = demo_run
  source_key = _source(one)[1]['key']
  two = tmp_path_factory.mktemp('two_processes')
  double = _launch(2, 'main.py', DEMO, f'--workdir={two}', f'--stage={source_key}',
                   f'--config.data_dir={synthetic_data_dir}', JAX_COMPILATION_CACHE_DIR=xla_cache)
  assert double.returncode == 0, double.stdout[-2000:] + double.stderr[-5000:]
  return one, two, single, double


def test_two_processes_train_what_one_process_does(runs):
  one, two, _, _ = runs
  a, b = stage_manifests(one), stage_manifests(two)
  assert [m['role'] for _, m in b.values()] == ['source']
  for key, (dir_b, manifest_b) in b.items():
    dir_a, manifest_a = a[key]  # The same stage key: the same config.
    assert manifest_b['state'] == 'finished'
    losses_a, losses_b = _losses(dir_a), _losses(dir_b)
    assert sorted(losses_a) == sorted(losses_b) == [1, 2], key
    _assert_close(losses_b, losses_a)
    _assert_close(manifest_b['metrics'], manifest_a['metrics'])
    _, state_a = restore_stage.restore(dir_a)
    _, state_b = restore_stage.restore(dir_b)
    _assert_close(jax.device_get(state_b), jax.device_get(state_a))
    # Only process 0 wrote: one event file, no temporary files left.
    assert len(glob.glob(os.path.join(dir_b, 'events.out.tfevents.*'))) == 1
    assert not glob.glob(os.path.join(dir_b, '*.tmp'))


def test_a_checkpoint_moves_between_topologies(runs, tmp_path, xla_cache):
  _, two, _, _ = runs
  source_dir, manifest = _source(two)  # Saved by 2 processes of 1 device.
  step, on_one = restore_stage.restore(source_dir, devices=jax.devices()[:1])
  _, on_eight = restore_stage.restore(source_dir, 'fsdp')
  assert len(jax.devices()) == 8
  sharded = [x for x in jax.tree.leaves(on_eight) if not x.sharding.is_fully_replicated]
  assert sharded and all(len(x.sharding.device_set) == 8 for x in sharded)
  jax.tree.map(np.testing.assert_array_equal, jax.device_get(on_eight), jax.device_get(on_one))

  # Saved from 8 devices with FSDP, restored by 2 processes (replicated, then FSDP).
  moved = tmp_path / 'moved'
  mngr = checkpoints.manager(str(moved / 'checkpoints'))
  checkpoints.save(mngr, step, on_eight, {'input': {}}, force=True)
  mngr.wait_until_finished()
  mngr.close()
  (moved / 'manifest.json').write_text(json.dumps(manifest))
  run = _launch(2, 'tests/restore_stage.py', str(moved), 'data_parallel', 'fsdp',
                JAX_COMPILATION_CACHE_DIR=xla_cache, timeout=300)
  assert run.returncode == 0, run.stderr[-3000:]
  replicated, fsdp = [json.loads(line) for line in run.stdout.splitlines()
                      if line.startswith('{')]
  expected = checkpoints.checksums(on_one)
  for report in (replicated, fsdp):
    assert report['processes'] == 2 and report['step'] == step
    assert report['checksums'] == expected
  assert replicated['sharded_arrays'] == 0 and fsdp['sharded_arrays'] > 0


def test_transfer_from_a_source_of_another_topology(runs):
  _, two, _, _ = runs
  source_dir, _ = _source(two)
  config = config_base.stage('synthetic_foggy', config_base.task('depth', head_features=8),
                             steps=2, size=(64, 64))
  config.model.convnet.width = 8
  config.sharding.update(strategy='fsdp', fsdp_min_size=256)
  stage = trainer.build_stage(config)
  tx, _ = optim.make_optimizer(config.optimizer, config.steps, 'config.optimizer')
  _, shardings = trainer.abstract_state(stage, tx, sharding.make_mesh())
  fresh = jax.jit(lambda rng: trainer.init_state(stage, tx, rng, 1),
                  out_shardings=shardings)(jax.random.key(1))
  state, report = checkpoints.restore_subset(
      f'{source_dir}/checkpoints', fresh, config_base.BACKBONE_RULES, config_base.HEAD_RULES,
      'config.init')
  _, source = restore_stage.restore(source_dir, devices=jax.devices()[:1])
  assert report['loaded'] and all(k.startswith(('params/backbone', 'batch_stats/backbone'))
                                  for k in report['loaded'])
  jax.tree.map(np.testing.assert_array_equal, jax.device_get(state['params']['backbone']),
               jax.device_get(source['params']['backbone']))
  assert any(not x.sharding.is_fully_replicated
             for x in jax.tree.leaves(state['params']['backbone']))
  assert jax.tree.map(lambda x: x.sharding, state) == shardings


def test_a_failing_process_stops_the_others_with_its_status():
  script = ('import os, sys, time\n'
            'if os.environ["JAX_PROCESS_ID"] == "1":\n'
            '  print("process one fails", flush=True); sys.exit(3)\n'
            'time.sleep(100)\n')
  start = time.monotonic()
  run = subprocess.run(['timeout', '-s', 'KILL', '90', sys.executable, '-m', 'transfer.launch',
                        '--processes=3', '--', sys.executable, '-c', script],
                       cwd=REPO, capture_output=True, text=True, check=False)
  assert run.returncode == 3, run.stderr
  assert time.monotonic() - start < 60
  assert '[process 1] process one fails' in run.stderr
  assert '[process 2]' not in run.stderr  # Stopped by the launcher: not reported.


def test_each_process_gets_its_id_devices_and_the_coordinator():
  envs = launch.environments(
      2, 1234, devices_per_process=4,
      base={'XLA_FLAGS': '--xla_cpu_foo --xla_force_host_platform_device_count=8'})
  assert [e['JAX_PROCESS_ID'] for e in envs] == ['0', '1']
  assert {e['JAX_NUM_PROCESSES'] for e in envs} == {'2'}
  assert {e['JAX_COORDINATOR_ADDRESS'] for e in envs} == {'127.0.0.1:1234'}
  assert {e['XLA_FLAGS'] for e in envs} == {
      '--xla_cpu_foo --xla_force_host_platform_device_count=4'}
  gpus = launch.environments(2, 1, gpus_per_process=2, base={})
  assert [e['JAX_LOCAL_DEVICE_IDS'] for e in gpus] == ['0,1', '2,3']


@pytest.mark.parametrize('args, env, needle', [
    (('--distributed',), {'JAX_NUM_PROCESSES': 'two'}, "JAX_NUM_PROCESSES='two' is not an integer"),
    (('--distributed', '--num_processes=2', '--coordinator_address=127.0.0.1:1'), {},
     'did not start: The process id of the current process must be defined'),
    (('--process_id=1',), {}, 'need --distributed'),
])
def test_a_bad_distributed_setting_is_one_clear_error(args, env, needle, tmp_path):
  run = main(DEMO, f'--workdir={tmp_path / "root"}', *args, timeout=120, env=env)
  assert run.returncode == 1 and needle in run.stderr, run.stderr[-2000:]
  assert 'Traceback' not in run.stderr and not (tmp_path / 'root').exists()


def test_no_module_starts_a_backend_on_import():
  """jax.distributed.initialize must come before any backend use: here it
  runs after importing every module of the package (as a submitit task,
  which unpickles the runner first, does)."""
  script = ('import importlib, pkgutil, sys, jax, transfer\n'
            'for m in pkgutil.walk_packages(transfer.__path__, "transfer."):\n'
            '  if not m.name.endswith("__main__"): importlib.import_module(m.name)\n'
            f'jax.distributed.initialize("127.0.0.1:{launch.free_port()}", 1, 0)\n'
            'print(jax.process_count())\n')
  run = subprocess.run(['timeout', '-s', 'KILL', '120', sys.executable, '-c', script], cwd=REPO,
                       capture_output=True, text=True, check=False)
  assert run.returncode == 0 and run.stdout.strip() == '1', run.stderr[-2000:]
