"""main.py end to end (demo:smoke) and its handling of bad input."""

import hashlib
import json
import os
import subprocess
import sys

import pytest

from conftest import REPO


def _main(*args):
  return subprocess.run([sys.executable, 'main.py', *args], cwd=REPO, capture_output=True,
                        text=True, timeout=900, check=False)


def _tree_digest(path):
  digest = hashlib.sha256()
  for root, _, files in sorted(os.walk(path)):
    for name in sorted(files):
      full = os.path.join(root, name)
      digest.update(full.encode())
      with open(full, 'rb') as f:
        digest.update(f.read())
  return digest.hexdigest()


@pytest.fixture(scope='module')
def demo_run(tmp_path_factory, synthetic_data_dir):
  workdir = tmp_path_factory.mktemp('demo')
  run = _main('--config=configs/demo.py:smoke', f'--workdir={workdir}',
              f'--config.data_dir={synthetic_data_dir}')
  assert run.returncode == 0, run.stderr[-5000:]
  return workdir, run


def test_demo_smoke_writes_results_and_table(demo_run):
  workdir, run = demo_run
  with open(workdir / 'results.json') as f:
    results = json.load(f)
  assert results['source'] == {'dataset': 'synthetic_sunny', 'domain': 'synthetic-sunny',
                               'task': 'segmentation'}
  assert results['target'] == {'dataset': 'synthetic_foggy', 'domain': 'synthetic-foggy',
                               'task': 'depth'}
  assert results['metric'] == 'abs_rel' and results['higher_is_better'] is False
  base, transfer = results['baseline'], results['transfer']
  assert base == results['stages']['baseline']['abs_rel']
  assert transfer == results['stages']['target']['abs_rel']
  assert results['relative_gain'] == pytest.approx((base - transfer) / base)  # lower is better
  assert 'miou' in results['stages']['source']
  assert f'{transfer:.4f}' in run.stdout and 'relative gain' in run.stdout
  for stage in ('source', 'target', 'baseline'):
    assert (workdir / stage / 'result.json').exists()
    assert any(p.name.startswith('events.out.tfevents') for p in (workdir / stage).iterdir())
    assert (workdir / stage / 'checkpoints' / '2').is_dir()


def test_rerun_resumes_without_retraining(demo_run, synthetic_data_dir):
  workdir, _ = demo_run
  before = _tree_digest(workdir / 'source' / 'checkpoints')
  with open(workdir / 'results.json') as f:
    results = json.load(f)
  run = _main('--config=configs/demo.py:smoke', f'--workdir={workdir}',
              f'--config.data_dir={synthetic_data_dir}')
  assert run.returncode == 0, run.stderr[-5000:]
  assert 'already finished' in run.stderr
  with open(workdir / 'results.json') as f:
    assert json.load(f) == results
  assert _tree_digest(workdir / 'source' / 'checkpoints') == before


def _assert_clean_failure(run, workdir, *needles):
  assert run.returncode != 0
  for needle in needles:
    assert needle in run.stderr, run.stderr[-3000:]
  assert not (workdir / 'results.json').exists()
  assert 'Traceback' not in run.stderr, run.stderr[-3000:]


@pytest.mark.parametrize('override,needles', [
    ('--config.target.stepz=3', ('stepz',)),
    ('--config.target.steps=many', ('steps', 'many')),
    ('--config.target.dataset=imagenet21k',
     ("Unknown dataset 'imagenet21k'", 'where: config.target.dataset', 'synthetic_sunny')),
    ('--config.target.task.name=optical_flow',
     ("Unknown task 'optical_flow'", 'where: config.target.task.name')),
    ('--config.target.init.checkpoint=/nonexistent/checkpoints',
     ('/nonexistent/checkpoints does not exist', 'where: config.target.init.checkpoint')),
])
def test_bad_config_fails_with_one_clear_error(tmp_path, override, needles):
  run = _main('--config=configs/demo.py:smoke', f'--workdir={tmp_path}',
              f'--config.data_dir={tmp_path / "tfds"}', override)
  _assert_clean_failure(run, tmp_path, *needles)
  assert not (tmp_path / 'source').exists()  # Nothing was trained,
  assert not (tmp_path / 'tfds').exists()  # and no data generated first.


def test_unprepared_dataset_explains_how_to_prepare(tmp_path):
  run = _main('--config=configs/src_ade_tgt_nyu.py:smoke', f'--workdir={tmp_path}',
              f'--config.data_dir={tmp_path / "tfds"}')
  _assert_clean_failure(run, tmp_path, "Dataset 'ade20k' is not prepared",
                        'ADEChallengeData2016.zip', 'where: config.source.dataset')


def test_incompatible_source_checkpoint_fails_and_keeps_it(demo_run, tmp_path,
                                                           synthetic_data_dir):
  source_ckpt = demo_run[0] / 'source' / 'checkpoints'
  before = _tree_digest(source_ckpt)
  run = _main('--config=configs/demo.py:smoke', f'--workdir={tmp_path}',
              f'--config.data_dir={synthetic_data_dir}', "--config.stages=('target', 'baseline')",
              "--config.compare.source=target",
              f'--config.target.init.checkpoint={source_ckpt}',
              '--config.target.model.convnet.width=16')
  _assert_clean_failure(run, tmp_path, '85 shape mismatch',
                        'params/backbone/fuse0/kernel: source (1, 1, 8, 8), target (1, 1, 16, 16)',
                        'where: config.target.init')
  assert _tree_digest(source_ckpt) == before
  assert not any(p.name.isdigit() for p in (tmp_path / 'target' / 'checkpoints').iterdir())
