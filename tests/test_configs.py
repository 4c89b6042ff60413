"""Every config in configs/ loads, and its smoke variant runs 2 steps per stage on mock data
(the demo's on rendered data, in tests/test_main.py).

configs/synthetic_cross_task.py runs for pairs that put every task type once
as the source and once as the target; the two study configs run a few pairs
of their matrix (the whole graph is checked in tests/test_study.py).
"""

import glob
import json
import math
import os

import pytest

from conftest import REPO, load_config
from transfer import runner, stages
from transfer.data.mock import mock_datasets

CONFIGS = sorted(os.path.relpath(p, REPO) for p in glob.glob(os.path.join(REPO, 'configs', '*.py')))
CROSS_TASK = 'configs/synthetic_cross_task.py'
TASK_PAIRS = ('segmentation,detection', 'detection,keypoints', 'keypoints,depth',
              'depth,segmentation')
# Overrides that keep a study's smoke run to a few stages.
SUBSETS = {
    'configs/study_synthetic.py': {'pairs': 'aerial_det:underwater_kpt,sunny_seg:indoor_seg',
                                   'seeds': (0,)},
    'configs/study_foi_segmentation.py': {'pairs': 'suim_foi:cityscapes_foi'},
    # A broad source, a cross-task pair and a domain-draw (seed) option.
    'configs/study_findings.py': {'pairs': 'seg_mix:closeup_kpt,kpt_aerial:aerial_det',
                                  'seeds': (0,)},
}
# Studies whose smoke run keeps one train size per target (the others only
# repeat the same stages on more examples).
ONE_TRAIN_SIZE = ('configs/study_findings.py', 'configs/study_synthetic.py')
# demo.py:smoke runs end to end on rendered data in tests/test_main.py.
RUNS = [(path, '') for path in CONFIGS if path not in (CROSS_TASK, 'configs/demo.py')] + [
    (CROSS_TASK, pair) for pair in TASK_PAIRS]


def test_there_are_configs():
  assert {'configs/demo.py', 'configs/src_ade_tgt_nyu.py', CROSS_TASK,
          'configs/study_synthetic.py', 'configs/study_foi_segmentation.py'} <= set(CONFIGS)


def _run(config, root):
  plans = runner.plan(config)
  runner.check_data(plans, config.data_dir)
  runner.run_local(plans, root, config.data_dir)
  return plans, runner.collect(plans, root)


@pytest.mark.parametrize('path,arg', RUNS)
def test_config_runs_two_steps_under_mock_data(path, arg, tmp_path):
  config = load_config(path, f'{arg},smoke' if arg else 'smoke')
  config.update(SUBSETS.get(path, {}))
  if path in ONE_TRAIN_SIZE:
    for target in config.targets.values():
      target.train_sizes = target.train_sizes[:1]
  with mock_datasets(num_examples=8):
    plans, table = _run(config, str(tmp_path))
  for plan in plans:
    assert os.path.isdir(os.path.join(stages.directory(str(tmp_path), plan), 'checkpoints', '2'))
  assert len(table) == len([p for p in plans if p.role == 'target']) > 0
  for row in table:
    _check_gains(row)
    assert 0 < row['source_train_examples'] <= 8
  with open(tmp_path / 'results.csv') as f:
    assert len(f.read().splitlines()) == len(table) + 1
  factors = runner.analyse(str(tmp_path))  # What main.py prints at the end.
  if len({(r['source_dataset'], r['target_dataset']) for r in table}) > 1:
    assert factors.startswith('Gain relative to the baseline, per factor')
    assert (tmp_path / 'analysis' / 'report.html').is_file()
  else:  # One pair: nothing to compare.
    assert factors is None and not (tmp_path / 'analysis').exists()
  for name in os.listdir(tmp_path / 'stages'):  # Strict JSON: no NaN.
    with open(tmp_path / 'stages' / name / 'manifest.json') as f:
      json.loads(f.read(), parse_constant=lambda c: pytest.fail(f'{name} holds {c}'))


def _check_gains(row):
  """Gains follow their definition from the two metrics: finite numbers, or
  None where undefined (a zero baseline), never NaN."""
  base, transfer = row['baseline'], row['transfer']
  sign = 1 if row['higher_is_better'] else -1
  assert math.isfinite(base) and math.isfinite(transfer)
  assert row['absolute_gain'] == pytest.approx(sign * (transfer - base), abs=1e-12)
  if base == 0:
    assert row['relative_gain'] is None
  else:
    assert row['relative_gain'] == pytest.approx(sign * (transfer - base) / abs(base))


def test_cross_task_config_names_its_tasks():
  config = load_config(CROSS_TASK, 'keypoints,segmentation')
  assert (config.sources.sunny.task.name, config.targets.foggy.task.name) == (
      'keypoints', 'segmentation')
  with pytest.raises(ValueError, match='SOURCE,TARGET'):
    load_config(CROSS_TASK, 'keypoints,nonsense')


def test_src_ade_tgt_nyu_runs_on_prepared_data(tmp_path):
  """The real-data path end to end: both datasets built from their dummy
  downloads (the real formats) by the build CLI, then the smoke variant."""
  from transfer.data import build  # pylint: disable=g-import-not-at-top
  data_dir = str(tmp_path / 'tfds')
  for name in ('ade20k', 'nyu_depth_v2'):
    build.main([name, f'--manual_dir={os.path.join(REPO, "datasets", name, "dummy_data")}',
                f'--data_dir={data_dir}'])
  config = load_config('configs/src_ade_tgt_nyu.py', 'smoke')
  config.data_dir = data_dir
  _, (row,) = _run(config, str(tmp_path / 'run'))
  assert (row['source_dataset'], row['target_dataset']) == ('ade20k', 'nyu_depth_v2')
  assert row['metric'] == 'abs_rel' and 0 <= row['transfer'] < 10
  manifests = stages.manifests(str(tmp_path / 'run'))
  assert 0 <= manifests[row['source_key']]['metrics']['miou'] <= 1
