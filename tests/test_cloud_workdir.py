"""A study ROOT on a cloud file system: every manifest, lock and results
write goes through etils.epath, here onto gs://bucket served from a local
folder by etils' mock backend (and, for comparison, onto a local path).

Training itself is replaced by a stand-in: Orbax (tensorstore) and
TensorBoard (tf.io.gfile) reach gs:// through their own drivers, which
cannot be mocked offline.
"""

import json
import os

from etils import epath
from etils.epath import gpath
from etils.epath import testing as epath_testing
import pytest

from conftest import load_config
from transfer import runner, stages, trainer

BUCKET = 'gs://bucket'


@pytest.fixture
def bucket(tmp_path, monkeypatch):
  """gs://bucket/... read and written in `tmp_path` (and nothing else)."""
  # With TensorFlow installed epath sends gs:// to tf.io.gfile, past its mock.
  monkeypatch.setattr(gpath, '_is_tf_installed', lambda: False)
  def local(path):
    text = os.fspath(path)
    assert text.startswith(BUCKET) or text.startswith(str(tmp_path)), text
    return text.replace(BUCKET, str(tmp_path), 1)

  def mapped(paths: int):
    def fn(original, *args, **kwargs):
      return original(*(local(a) if i < paths else a for i, a in enumerate(args)), **kwargs)
    return fn

  one = {name: mapped(1) for name in ('exists', 'isdir', 'listdir', 'makedirs', 'mkdir',
                                      'open', 'remove', 'rmtree', 'stat')}
  with epath_testing.mock_epath(**one, rename=mapped(2), replace=mapped(2), copy=mapped(2)):
    yield tmp_path


def _fake_training(calls):
  def train_and_evaluate(config, workdir, **kwargs):
    del kwargs
    calls.append(str(workdir))
    metric = 'miou' if config.task.name == 'segmentation' else 'abs_rel'
    value = 0.5 if config.init.kind == 'transfer' else 0.6
    return {'metrics': {metric: value}, 'metric': metric,
            'higher_is_better': metric == 'miou', 'transfer': {}, 'train_examples_used': 25,
            'state': None, 'timing': {'compile_seconds': 0.0, 'steps_trained': 2,
                                      'steps_per_second': 1.0, 'skipped_steps': 0}}
  return train_and_evaluate


@pytest.mark.parametrize('cloud', [True, False], ids=['gs', 'local'])
def test_a_study_on_a_cloud_root_writes_and_resumes_through_epath(cloud, bucket, tmp_path,
                                                                   monkeypatch):
  root = f'{BUCKET}/study' if cloud else str(tmp_path / 'study')
  calls = []
  monkeypatch.setattr(trainer, 'train_and_evaluate', _fake_training(calls))
  plans = runner.plan(load_config('configs/demo.py', 'smoke'))
  runner.run_local(plans, root, data_dir=None)
  assert len(calls) == 3 and all(c.startswith(root) for c in calls)
  table = runner.collect(plans, root)
  assert [(row['transfer'], row['baseline']) for row in table] == [(0.5, 0.6)]

  local = tmp_path / 'study'
  manifests = [json.loads(p.read_text()) for p in local.glob('stages/*/manifest.json')]
  assert sorted(m['role'] for m in manifests) == ['baseline', 'source', 'target']
  assert all(m['state'] == 'finished' for m in manifests)
  assert 'abs_rel' in (local / 'results.csv').read_text()
  # No flock on a cloud file system, so no lock files there.
  assert bool(list(local.glob('stages/*/.lock'))) == (not cloud)
  assert not list(local.glob('**/*.tmp'))

  runner.run_local(plans, root, data_dir=None)  # A rerun: every stage is finished.
  assert len(calls) == 3
  assert set(stages.manifests(root)) == {p.key for p in plans}
  assert epath.Path(root, 'results.csv').exists()
