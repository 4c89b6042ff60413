"""Stages that survive: exact resume, preemption, the NaN guard, corrupt checkpoints."""

import os
import signal
from unittest import mock

import jax
import numpy as np
import pytest

from transfer import checkpoints, config_base, errors, trainer
from transfer.errors import UserError


def _stage(steps=4, **kwargs):
  config = config_base.stage('synthetic_sunny', config_base.task('segmentation', head_features=8),
                             steps=steps, size=(64, 64), batch_size=8, train_examples=24,
                             **kwargs)
  config.model.convnet.width = 8
  config.input.update(eval_batch_size=40, color_jitter=0.3)
  config.log_every = config.eval_every = steps
  config.checkpoint_every, config.keep_checkpoints = 2, 2
  return config


def _train(config, workdir, data_dir):
  return trainer.train_and_evaluate(config, str(workdir), data_dir=data_dir)


def _assert_same_state(a, b):
  for (path, x), y in zip(jax.tree_util.tree_leaves_with_path(a), jax.tree.leaves(b)):
    np.testing.assert_array_equal(np.asarray(x), np.asarray(y),
                                  err_msg=jax.tree_util.keystr(path))


@pytest.fixture(scope='module')
def uninterrupted(tmp_path_factory, synthetic_data_dir):
  return _train(_stage(), tmp_path_factory.mktemp('whole'), synthetic_data_dir)


def _steps(workdir):
  return sorted(int(p) for p in os.listdir(workdir / 'checkpoints') if p.isdigit())


@pytest.mark.parametrize('at', [1, 4])  # Mid-stage, and in the last step.
def test_sigterm_saves_the_step_and_the_rerun_ends_bitwise_equal(
    uninterrupted, tmp_path, synthetic_data_dir, at):
  save = checkpoints.save

  def signal_then_save(mngr, step, *args, **kwargs):
    if step == at:
      os.kill(os.getpid(), signal.SIGTERM)
    return save(mngr, step, *args, **kwargs)

  with mock.patch.object(checkpoints, 'save', signal_then_save), \
       pytest.raises(errors.Preempted, match=f'preempted at step {at} \\(SIGTERM\\)'):
    _train(_stage(), tmp_path, synthetic_data_dir)
  assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # Handlers restored.
  assert _steps(tmp_path)[-1] == at
  resumed = _train(_stage(), tmp_path, synthetic_data_dir)
  assert resumed['timing']['steps_trained'] == 4 - at
  _assert_same_state(resumed['state'], uninterrupted['state'])
  assert resumed['metrics'] == uninterrupted['metrics']


def _largest_array_file(step_dir):
  files = [os.path.join(root, name) for root, _, names in os.walk(step_dir / 'state')
           for name in names]
  return max(files, key=os.path.getsize)


def _corrupt(step_dir):
  """Overwrites the middle of the largest array file of a checkpoint."""
  path = _largest_array_file(step_dir)
  with open(path, 'r+b') as f:
    f.seek(os.path.getsize(path) // 2)
    f.write(os.urandom(64))


def _truncate(step_dir):
  path = _largest_array_file(step_dir)
  with open(path, 'r+b') as f:
    f.truncate(os.path.getsize(path) // 3)


@pytest.mark.parametrize('damage', [_corrupt, _truncate])
def test_a_damaged_checkpoint_is_skipped_for_the_one_before(
    uninterrupted, tmp_path, synthetic_data_dir, damage):
  _train(_stage(), tmp_path, synthetic_data_dir)
  assert _steps(tmp_path) == [2, 4]
  damage(tmp_path / 'checkpoints' / '4')
  resumed = _train(_stage(), tmp_path, synthetic_data_dir)
  assert resumed['timing']['steps_trained'] == 2  # From step 2, not the damaged 4.
  _assert_same_state(resumed['state'], uninterrupted['state'])
  [aside] = os.listdir(tmp_path / 'checkpoints.corrupt')
  assert aside.startswith('4-')
  assert _steps(tmp_path) == [2, 4]


def test_a_checkpoint_of_another_model_is_refused_and_kept(tmp_path, synthetic_data_dir):
  _train(_stage(steps=2), tmp_path, synthetic_data_dir)
  before = _steps(tmp_path)
  wider = _stage(steps=2)
  wider.model.convnet.width = 16
  with pytest.raises(UserError, match='different model') as error:
    _train(wider, tmp_path, synthetic_data_dir)
  assert 'new --workdir' in error.value.fix
  assert _steps(tmp_path) == before and not os.path.exists(tmp_path / 'checkpoints.corrupt')


def test_a_non_finite_loss_stops_the_stage_naming_the_step(tmp_path, synthetic_data_dir):
  config = _stage(learning_rate=1e30)
  config.optimizer.update(warmup_steps=0, clip_norm=0.0)
  with pytest.raises(UserError, match=r'diverged at step \d: the (loss|gradient norm) is') as e:
    _train(config, tmp_path, synthetic_data_dir)
  step = int(e.value.what.split('step ')[1].split(':')[0])
  assert e.value.where == 'config.optimizer' and 'skip_nonfinite' in e.value.fix
  assert all(s < step for s in _steps(tmp_path))  # Only good steps were saved.


def test_skipping_non_finite_steps_keeps_the_parameters_finite(tmp_path, synthetic_data_dir):
  config = _stage(learning_rate=1e30)
  config.optimizer.update(warmup_steps=0, clip_norm=0.0)
  config.skip_nonfinite = True
  result = _train(config, tmp_path, synthetic_data_dir)
  assert result['timing']['skipped_steps'] >= 1
  assert all(np.isfinite(np.asarray(x)).all() for x in jax.tree.leaves(result['state']['params']))
