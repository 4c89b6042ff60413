"""Every config in configs/ loads, and its smoke variant runs 2 steps on mock data.

configs/synthetic_cross_task.py runs for pairs that put every task type once
as the source and once as the target.
"""

import glob
import json
import math
import os

import pytest

from conftest import REPO, load_config
from transfer import experiment
from transfer.data.mock import mock_datasets

CONFIGS = sorted(os.path.relpath(p, REPO) for p in glob.glob(os.path.join(REPO, 'configs', '*.py')))
CROSS_TASK = 'configs/synthetic_cross_task.py'
TASK_PAIRS = ('segmentation,detection', 'detection,keypoints', 'keypoints,depth',
              'depth,segmentation')
RUNS = [(path, '') for path in CONFIGS if path != CROSS_TASK] + [
    (CROSS_TASK, pair) for pair in TASK_PAIRS]


def test_there_are_configs():
  assert {'configs/demo.py', 'configs/src_ade_tgt_nyu.py', CROSS_TASK} <= set(CONFIGS)


@pytest.mark.parametrize('path,arg', RUNS)
def test_config_runs_two_steps_under_mock_data(path, arg, tmp_path):
  full = load_config(path, arg)
  assert full.target.init.kind == 'transfer' and full.stages
  config = load_config(path, f'{arg},smoke' if arg else 'smoke')
  with mock_datasets(num_examples=8):
    results = experiment.run(config, str(tmp_path))
  for stage in config.stages:
    assert (tmp_path / stage / 'checkpoints' / '2').is_dir()
  assert results['target']['dataset'] == config.target.dataset
  _check_gains(results, tmp_path / 'results.json')


def _check_gains(results, path):
  """Gains follow their definition from the two metrics: finite numbers, or
  None where undefined (a zero baseline), never NaN; results.json is strict
  JSON."""
  base, transfer = results['baseline'], results['transfer']
  sign = 1 if results['higher_is_better'] else -1
  assert math.isfinite(base) and math.isfinite(transfer)
  assert results['absolute_gain'] == pytest.approx(sign * (transfer - base), abs=1e-12)
  if base == 0:
    assert results['relative_gain'] is None
  else:
    assert results['relative_gain'] == pytest.approx(sign * (transfer - base) / abs(base))

  def reject(constant):
    raise AssertionError(f'{path} holds {constant}')
  assert json.loads(path.read_text(), parse_constant=reject) == results


def test_cross_task_config_names_its_tasks():
  config = load_config(CROSS_TASK, 'keypoints,segmentation')
  assert (config.source.task.name, config.target.task.name) == ('keypoints', 'segmentation')
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
  results = experiment.run(config, str(tmp_path / 'run'))
  assert results['source']['dataset'] == 'ade20k'
  assert results['target']['dataset'] == 'nyu_depth_v2'
  assert results['metric'] == 'abs_rel' and 0 <= results['transfer'] < 10
  assert 0 <= results['stages']['source']['miou'] <= 1
