"""The generic loop: a tiny model learns, checkpoints resume, transfer is strict."""

import functools

import jax
import numpy as np
import pytest

from transfer import config_base, optim, trainer
from transfer.errors import UserError


def _tiny_stage(dataset='synthetic_sunny', task='segmentation', steps=2, width=8, **kwargs):
  config = config_base.stage(dataset, config_base.task(task, head_features=8), steps=steps,
                             size=(64, 64), batch_size=8, train_examples=32, **kwargs)
  config.model.convnet.width = width
  config.input.eval_batch_size = 40
  config.log_every = config.checkpoint_every = config.eval_every = max(steps, 1)
  return config


def _train(config, workdir, data_dir):
  return trainer.train_and_evaluate(config, str(workdir), data_dir=data_dir)


def _leaves(tree, prefix):
  flat = {jax.tree_util.keystr(k): np.asarray(v)
          for k, v in jax.tree_util.tree_leaves_with_path(tree)}
  return {k: v for k, v in flat.items() if k.startswith(prefix)}


def test_loss_falls_on_a_fixed_batch():
  config = _tiny_stage(steps=40, learning_rate=5e-3)
  stage = trainer.build_stage(config)
  tx, _ = optim.make_optimizer(config.optimizer, config.steps, 'test')
  state = trainer.init_state(stage, tx, jax.random.key(0), batch_size=1)
  rng = np.random.default_rng(0)
  labels = np.zeros((8, 64, 64, 1), np.int32)
  labels[:, :32] = 2  # 'sky' above, 'ground' below, a box of class 3.
  labels[:, 40:56, 20:40] = 3
  image = np.where(labels == 2, 200, np.where(labels == 3, 30, 120)).repeat(3, -1)
  batch = {'image': (image + rng.integers(0, 20, image.shape)).astype(np.uint8),
           'segmentation': labels}
  step = jax.jit(functools.partial(trainer.train_step, stage=stage, tx=tx))
  losses = []
  for _ in range(config.steps):
    state, metrics, _ = step(state, batch)
    losses.append(float(metrics.compute()['loss']))
  assert losses[-1] < 0.3 * losses[0], losses


def test_resume_continues_at_the_saved_step_with_the_same_state(tmp_path, synthetic_data_dir):
  first = _train(_tiny_stage(steps=4), tmp_path, synthetic_data_dir)
  again = _train(_tiny_stage(steps=4), tmp_path, synthetic_data_dir)  # Nothing left to do.
  assert int(again['state']['step']) == 4
  for a, b in zip(jax.tree.leaves(first['state']), jax.tree.leaves(again['state'])):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
  assert again['metrics'] == pytest.approx(first['metrics'], abs=1e-6)
  longer = _train(_tiny_stage(steps=6), tmp_path, synthetic_data_dir)
  assert int(longer['state']['step']) == 6
  assert sorted(p.name for p in (tmp_path / 'checkpoints').iterdir()
                if p.name.isdigit()) == ['4', '6']


@pytest.fixture(scope='module')
def source_run(tmp_path_factory, synthetic_data_dir):
  workdir = tmp_path_factory.mktemp('source')
  return workdir, _train(_tiny_stage(steps=2), workdir, synthetic_data_dir)


def _transfer_config(source_dir, **kwargs):
  config = _tiny_stage(dataset='synthetic_foggy', task='depth', steps=0, **kwargs)
  config.init = config_base.init('transfer')
  config.init.checkpoint = str(source_dir / 'checkpoints')
  return config


def test_transfer_loads_backbone_and_reinitialises_head(source_run, tmp_path, synthetic_data_dir):
  source_dir, source = source_run
  target = _train(_transfer_config(source_dir), tmp_path / 'target', synthetic_data_dir)
  scratch = _train(_tiny_stage(dataset='synthetic_foggy', task='depth', steps=0),
                   tmp_path / 'scratch', synthetic_data_dir)
  for part in ('params', 'batch_stats'):
    source_backbone = _leaves(source['state'][part], "['backbone']")
    target_backbone = _leaves(target['state'][part], "['backbone']")
    assert source_backbone and source_backbone.keys() == target_backbone.keys()
    for name, value in source_backbone.items():
      np.testing.assert_array_equal(value, target_backbone[name], err_msg=name)
    target_head = _leaves(target['state'][part], "['head']")
    scratch_head = _leaves(scratch['state'][part], "['head']")
    for name, value in scratch_head.items():  # Same seed: the fresh head.
      np.testing.assert_array_equal(value, target_head[name], err_msg=name)
  # The backbone really changed: it is not the scratch initialisation.
  kernel = "['backbone']['stem_conv1']['kernel']"
  assert not np.allclose(_leaves(target['state']['params'], kernel)[kernel],
                         _leaves(scratch['state']['params'], kernel)[kernel])
  assert target['transfer']['loaded'] and target['transfer']['reinitialised']
  assert all(k.split('/')[1] == 'backbone' for k in target['transfer']['loaded'])
  assert all(k.split('/')[1] == 'head' for k in target['transfer']['reinitialised'])


def test_transfer_shape_mismatch_lists_names(source_run, tmp_path, synthetic_data_dir):
  source_dir, _ = source_run
  with pytest.raises(UserError, match=r'85 shape mismatch.*params/backbone/fuse0/kernel: source \(1, 1, 8, 8\), target \(1, 1, 16, 16\)'):
    _train(_transfer_config(source_dir, width=16), tmp_path, synthetic_data_dir)
  assert not (tmp_path / 'checkpoints').exists() or not any(
      p.name.isdigit() for p in (tmp_path / 'checkpoints').iterdir())


def test_transfer_uncovered_names_raise(source_run, tmp_path, synthetic_data_dir):
  source_dir, _ = source_run
  config = _transfer_config(source_dir)
  config.init.reinit = ()
  with pytest.raises(UserError, match=r'match no load or reinit rule: params/head/'):
    _train(config, tmp_path, synthetic_data_dir)


def test_transfer_from_a_missing_checkpoint_raises(tmp_path, synthetic_data_dir):
  with pytest.raises(UserError, match='does not exist'):
    _train(_transfer_config(tmp_path / 'nowhere'), tmp_path / 'target', synthetic_data_dir)


@pytest.mark.parametrize('task', ['segmentation', 'depth', 'detection', 'keypoints'])
def test_evaluation_writes_prediction_panels(task, tmp_path, synthetic_data_dir):
  import glob  # pylint: disable=g-import-not-at-top
  import PIL.Image  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  config = _tiny_stage(task=task)
  config.visualize.num_images, config.visualize.png = 2, True
  result = _train(config, tmp_path, synthetic_data_dir)
  assert result['metrics']
  pngs = sorted(glob.glob(str(tmp_path / 'visualizations' / 'step_2' / '*.png')))
  assert len(pngs) == 2
  panel = np.asarray(PIL.Image.open(pngs[0]))
  panels = 3 if task == 'depth' else 2  # (image,) prediction, ground truth.
  assert panel.shape[1] == panels * 64 + (panels - 1) * 4 and panel.shape[0] > 64
  tags = {value.tag for path in glob.glob(str(tmp_path / 'events.out.tfevents.*'))
          for event in tf.compat.v1.train.summary_iterator(path)
          for value in event.summary.value}
  assert 'eval/examples' in tags


def test_bfloat16_step_loss_is_close_to_float32():
  """bfloat16 compute with float32 parameters: the loss of the same step on
  the same parameters agrees with float32 to 2% (bfloat16 keeps 8 bits of
  mantissa, ~0.4% per rounding)."""
  rng = np.random.default_rng(0)
  batch = {'image': rng.integers(0, 255, (8, 64, 64, 3)).astype(np.uint8),
           'segmentation': rng.integers(0, 6, (8, 64, 64, 1)).astype(np.int32)}
  losses, states = {}, {}
  for dtype in ('float32', 'bfloat16'):
    config = _tiny_stage(width=16)
    config.model.dtype = dtype
    stage = trainer.build_stage(config)
    tx, _ = optim.make_optimizer(config.optimizer, config.steps, 'test')
    state = trainer.init_state(stage, tx, jax.random.key(0), batch_size=1)
    state, metrics, _ = jax.jit(functools.partial(trainer.train_step, stage=stage, tx=tx))(
        state, batch)
    losses[dtype] = float(metrics.compute()['loss'])
    states[dtype] = state
  assert losses['bfloat16'] == pytest.approx(losses['float32'], rel=0.02)
  assert all(x.dtype == np.float32 for x in jax.tree.leaves(states['bfloat16']['params']))


def test_unknown_dtype_is_a_user_error():
  config = _tiny_stage()
  config.model.dtype = 'float16'
  with pytest.raises(UserError, match='model.dtype'):
    trainer.build_stage(config)
