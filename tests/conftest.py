"""Test set-up: 8 fake CPU devices (so sharding is exercised) and shared helpers."""

import os

os.environ.setdefault('XLA_FLAGS', '--xla_force_host_platform_device_count=8')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import glob  # pylint: disable=g-import-not-at-top,wrong-import-position
import hashlib  # pylint: disable=g-import-not-at-top,wrong-import-position
import importlib.util  # pylint: disable=g-import-not-at-top,wrong-import-position
import json  # pylint: disable=g-import-not-at-top,wrong-import-position
import subprocess  # pylint: disable=g-import-not-at-top,wrong-import-position
import sys  # pylint: disable=g-import-not-at-top,wrong-import-position

import pytest
import tensorflow as tf

tf.config.set_visible_devices([], 'GPU')


@pytest.fixture(scope='session', autouse=True)
def xla_cache(tmp_path_factory):
  """One persistent XLA cache per test session: stages and tests that build
  the same programs (same model, task and shapes) compile them once; `main`
  gives it to main.py runs too."""
  import jax  # pylint: disable=g-import-not-at-top
  cache = tmp_path_factory.mktemp('xla_cache')
  jax.config.update('jax_compilation_cache_dir', str(cache))
  jax.config.update('jax_persistent_cache_min_compile_time_secs', 0)
  jax.config.update('jax_persistent_cache_min_entry_size_bytes', 0)
  return str(cache)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tree_digest(path) -> str:
  """A hash of every file name and content under `path`."""
  digest = hashlib.sha256()
  for root, _, files in sorted(os.walk(path)):
    for name in sorted(files):
      full = os.path.join(root, name)
      digest.update(full.encode())
      with open(full, 'rb') as f:
        digest.update(f.read())
  return digest.hexdigest()


def stage_manifests(root) -> dict[str, tuple[str, dict]]:
  """{stage key: (stage directory, manifest)} of a study ROOT."""
  found = {}
  for path in glob.glob(os.path.join(root, 'stages', '*', 'manifest.json')):
    with open(path) as f:
      manifest = json.load(f)
    found[manifest['key']] = (os.path.dirname(path), manifest)
  return found


def load_config(path: str, arg: str = ''):
  """Loads configs/<file>.py:arg the way main.py's --config flag does."""
  spec = importlib.util.spec_from_file_location(
      os.path.basename(path)[:-3], os.path.join(REPO, path))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(arg)


@pytest.fixture(scope='session')
def synthetic_data_dir(tmp_path_factory):
  """A TFDS data dir shared by the tests that build real synthetic data."""
  return str(tmp_path_factory.mktemp('tfds'))


def main(*args, cache: str | None = None, log: str | None = None, timeout: int = 900,
         env: dict | None = None):
  """Runs `python main.py ARGS` from the repository root (with the session's
  XLA cache, if given, and `env` added to the environment) and returns the
  finished run; with `log`, starts it and returns the process, its stdout
  and stderr going to LOG.out and LOG.err (files, not pipes: a full pipe
  would block it)."""
  env = dict(os.environ, **({'JAX_COMPILATION_CACHE_DIR': cache} if cache else {}), **(env or {}))
  command = [sys.executable, 'main.py', *args]
  if log:
    with open(f'{log}.out', 'w') as out, open(f'{log}.err', 'w') as err:
      return subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=err, text=True)
  return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                        timeout=timeout, check=False)


# The demo's smoke study runs on 2 CPU devices: tests/test_multihost.py
# compares it with the same study in 2 processes of one device each.
DEMO_ENV = {'XLA_FLAGS': '--xla_force_host_platform_device_count=2'}


@pytest.fixture(scope='session')
def demo_run(tmp_path_factory, synthetic_data_dir, xla_cache):
  """`main.py --config=configs/demo.py:smoke` run once: (ROOT, the run)."""
  workdir = tmp_path_factory.mktemp('demo')
  run = main('--config=configs/demo.py:smoke', f'--workdir={workdir}',
             f'--config.data_dir={synthetic_data_dir}', cache=xla_cache, env=DEMO_ENV)
  assert run.returncode == 0, run.stderr[-5000:]
  return workdir, run
