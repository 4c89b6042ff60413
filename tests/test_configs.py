"""Every config in configs/ loads, and its smoke variant runs 2 steps on mock data."""

import glob
import os

import pytest

from conftest import REPO, load_config, mock_datasets
from transfer import experiment

CONFIGS = sorted(os.path.relpath(p, REPO) for p in glob.glob(os.path.join(REPO, 'configs', '*.py')))


def test_there_are_configs():
  assert 'configs/demo.py' in CONFIGS and 'configs/src_ade_tgt_nyu.py' in CONFIGS


@pytest.mark.parametrize('path', CONFIGS)
def test_config_runs_two_steps_under_mock_data(path, tmp_path):
  full = load_config(path)
  assert full.target.init.kind == 'transfer' and full.stages
  config = load_config(path, 'smoke')
  with mock_datasets(num_examples=8):
    results = experiment.run(config, str(tmp_path))
  for stage in config.stages:
    assert (tmp_path / stage / 'checkpoints' / '2').is_dir()
  assert results['target']['dataset'] == config.target.dataset
  assert isinstance(results['relative_gain'], float)
