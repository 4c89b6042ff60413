"""main.py end to end (demo:smoke as a 1 x 1 study) and its handling of bad input."""

import csv
import glob
import json
import os

import pytest

from conftest import DEMO_ENV, main, tree_digest


def _stage_dirs(root):
  out = {}
  for path in sorted(glob.glob(os.path.join(root, 'stages', '*', 'manifest.json'))):
    with open(path) as f:
      out[json.load(f)['role']] = os.path.dirname(path)
  return out


def test_demo_smoke_writes_manifests_results_and_table(demo_run):
  workdir, run = demo_run
  dirs = _stage_dirs(workdir)
  assert set(dirs) == {'source', 'baseline', 'target'}
  manifests = {}
  for role, stage_dir in dirs.items():
    with open(os.path.join(stage_dir, 'manifest.json')) as f:
      manifests[role] = json.load(f)
    assert os.path.basename(stage_dir).endswith('-' + manifests[role]['key'])
    assert any(p.startswith('events.out.tfevents') for p in os.listdir(stage_dir))
    assert os.path.isdir(os.path.join(stage_dir, 'checkpoints', '2'))
  source, target, baseline = (manifests[r] for r in ('source', 'target', 'baseline'))
  assert (source['dataset'], source['domain'], source['task']) == (
      'synthetic_sunny', 'synthetic-sunny', 'segmentation')
  assert (target['dataset'], target['domain'], target['task']) == (
      'synthetic_foggy', 'synthetic-foggy', 'depth')
  assert target['parent'] == source['key'] and target['baseline'] == baseline['key']
  assert target['origin'] == source['key'] and baseline['origin'] == 'scratch'
  assert target['transfer']['loaded'] > 0 and target['transfer']['init'] == 'transfer'
  for manifest in manifests.values():
    assert manifest['state'] == 'finished' and manifest['attempts'] == 1
    assert manifest['steps_per_second'] > 0 and manifest['compile_seconds'] > 0
    assert manifest['wall_seconds'] > manifest['compile_seconds']
    assert len(manifest['code_version']) >= 12
  with open(workdir / 'results.csv') as f:
    (row,) = list(csv.DictReader(f))
  base, transfer = baseline['metrics']['abs_rel'], target['metrics']['abs_rel']
  assert (float(row['baseline']), float(row['transfer'])) == (base, transfer)
  assert float(row['relative_gain']) == pytest.approx((base - transfer) / base)  # lower is better
  assert row['metric'] == 'abs_rel' and row['higher_is_better'] == 'False'
  assert 'miou' in source['metrics']
  assert f'{transfer:.4f}' in run.stdout and 'relative gain' in run.stdout


def test_rerun_resumes_without_retraining(demo_run, synthetic_data_dir, xla_cache):
  workdir, first = demo_run
  before = tree_digest(workdir / 'stages')
  run = main('--config=configs/demo.py:smoke', f'--workdir={workdir}',
             f'--config.data_dir={synthetic_data_dir}', cache=xla_cache, env=DEMO_ENV)
  assert run.returncode == 0, run.stderr[-5000:]
  assert run.stderr.count('already finished') == 3
  table = lambda out: out.strip().splitlines()[-6:]  # After TFDS's own prints.
  assert table(run.stdout) == table(first.stdout)
  assert tree_digest(workdir / 'stages') == before


def test_a_changed_config_trains_new_stages_beside_the_old(demo_run, synthetic_data_dir,
                                                            xla_cache, tmp_path):
  workdir, _ = demo_run
  before = _stage_dirs(workdir)
  run = main('--config=configs/demo.py:smoke', f'--workdir={workdir}',
             f'--config.data_dir={synthetic_data_dir}',
             '--config.targets.foggy_depth.steps=3', cache=xla_cache, env=DEMO_ENV)
  assert run.returncode == 0, run.stderr[-5000:]
  assert run.stderr.count('already finished') == 1  # Only the source is reused.
  names = sorted(os.listdir(workdir / 'stages'))
  assert len(names) == 5 and set(before.values()) <= {str(workdir / 'stages' / n) for n in names}
  with open(workdir / 'results.csv') as f:
    (row,) = list(csv.DictReader(f))  # The table of the study as run, not of old stages.
  with open(os.path.join(workdir, 'stages', [n for n in names if row['transfer_key'] in n][0],
                         'manifest.json')) as f:
    assert json.load(f)['steps'] == 3


def _assert_clean_failure(run, workdir, *needles):
  assert run.returncode != 0
  for needle in needles:
    assert needle in run.stderr, run.stderr[-3000:]
  assert not (workdir / 'results.csv').exists()
  assert 'Traceback' not in run.stderr, run.stderr[-3000:]


@pytest.mark.parametrize('override,needles', [
    ('--config.targets.foggy_depth.stepz=3', ('stepz',)),
    ('--config.targets.foggy_depth.steps=many', ('steps', 'many')),
    ('--config.targets.foggy_depth.dataset=imagenet21k',
     ("Unknown dataset 'imagenet21k'", 'where: config.targets.foggy_depth.dataset',
      'synthetic_sunny')),
    ('--config.targets.foggy_depth.task.name=optical_flow',
     ("Unknown task 'optical_flow'", 'where: config.targets.foggy_depth.task.name')),
    ('--config.model.backbone=vit',
     ("Unknown backbone 'vit'", 'where: config.model.backbone')),
    ('--config.baseline.kind=ilsvrc',
     ('needs a converted ImageNet checkpoint', 'where: config.baseline.checkpoint')),
    ('--config.sources.sunny_seg.init.checkpoint=/nonexistent/checkpoints',
     ('/nonexistent/checkpoints does not exist',
      'where: config.sources.sunny_seg.init.checkpoint')),
])
def test_bad_config_fails_with_one_clear_error(tmp_path, override, needles):
  extra = (('--config.sources.sunny_seg.init.kind=ilsvrc',)
           if 'sunny_seg.init.checkpoint' in override else ())
  run = main('--config=configs/demo.py:smoke', f'--workdir={tmp_path}',
             f'--config.data_dir={tmp_path / "tfds"}', override, *extra)
  _assert_clean_failure(run, tmp_path, *needles)
  assert not (tmp_path / 'stages').exists()  # Nothing was trained,
  assert not (tmp_path / 'tfds').exists()  # and no data generated first.


def test_unprepared_dataset_explains_how_to_prepare(tmp_path):
  run = main('--config=configs/src_ade_tgt_nyu.py:smoke', f'--workdir={tmp_path}',
             f'--config.data_dir={tmp_path / "tfds"}')
  _assert_clean_failure(run, tmp_path, "Dataset 'ade20k' is not prepared",
                        'ADEChallengeData2016.zip', 'where: config.sources.ade20k.dataset')


def test_a_source_with_another_model_is_refused_and_kept(demo_run, tmp_path,
                                                         synthetic_data_dir, xla_cache):
  """A transfer reads its source's manifest before loading: here a source
  directory whose manifest says it was trained with another model."""
  root = tmp_path / 'root'
  os.makedirs(root / 'stages')
  source_dir = _stage_dirs(demo_run[0])['source']
  copy = root / 'stages' / os.path.basename(source_dir)
  os.system(f'cp -r {source_dir} {copy}')
  with open(copy / 'manifest.json') as f:
    manifest = json.load(f)
  manifest['config']['model']['convnet']['width'] = 16
  with open(copy / 'manifest.json', 'w') as f:
    json.dump(manifest, f)
  before = tree_digest(copy)
  run = main('--config=configs/demo.py:smoke', f'--workdir={root}',
             f'--config.data_dir={synthetic_data_dir}', cache=xla_cache, env=DEMO_ENV)
  _assert_clean_failure(run, root, "was trained with model {'backbone': 'convnet', "
                        "'convnet': {'blocks_per_stage': [1, 1, 1, 1], 'width': 16}",
                        'where: config.model')
  assert tree_digest(copy) == before
  assert 'target' not in _stage_dirs(root)  # Refused before it started.
