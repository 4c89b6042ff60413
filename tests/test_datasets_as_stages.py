"""Every catalogue dataset works as a stage's dataset by name, for each of
its tasks: the stage builds, mock data in its example format batches, and a
train step and an eval step trace (shapes only) on that batch."""

import functools

import jax
import pytest

from conftest import load_config
from transfer import config_base as base
from transfer import optim
from transfer import study
from transfer import trainer
from transfer.data import catalog
from transfer.data import pipeline
from transfer.data.mock import mock_datasets

TASK_OF = {'segmentation': 'segmentation', 'depth': 'depth', 'boxes': 'detection',
           'keypoints': 'keypoints'}
# The synthetic entries differ only in their rendered domain: one stands for all.
NAMES = [n for n in catalog.names() if not catalog.get(n).generated] + ['synthetic_sunny']
CASES = [(name, TASK_OF[annotation]) for name in NAMES
         for annotation in catalog.get(name).tasks]


@pytest.mark.parametrize('name,task', CASES)
def test_dataset_and_task_trace_a_train_and_an_eval_step(name, task):
  plans = study.expand(load_config('configs/demo.py', 'smoke'))
  config = [p for p in plans if p.role == 'target'][0].config
  config.dataset, config.task = name, base.task(task, head_features=8)
  config.input.size = None  # The catalogue's crop, rounded up to a multiple of 32.
  stage = trainer.build_stage(config, 'test')
  info = stage.dataset
  size = pipeline.input_size(config.input, info)
  assert all(side % 32 == 0 and side >= c for side, c in zip(size, info.crop_size))
  small = (64, 64)  # Tracing at the full crop works the same, only slower.
  config.input.update(size=small, batch_size=8, eval_batch_size=8, max_objects=4)
  config.train_examples = 4
  with mock_datasets(num_examples=8):
    builder = pipeline.load_builder(info, None, (info.train_split, info.eval_split), 'test')
    train_batch = next(pipeline.train_batches(builder, info, stage.task.fields, config))
    eval_batch = next(pipeline.eval_batches(builder, info, stage.task.fields, config.input,
                                            'test'))
  # The batch carries this dataset's annotations in its own conventions.
  expected = {'image': (8, *small, 3)}
  if task in ('segmentation', 'depth'):
    expected[task] = (8, *small, 1)
  if task in ('detection', 'keypoints'):
    expected.update(boxes=(8, 4, 4), labels=(8, 4), objects_valid=(8, 4))
  if task == 'keypoints':
    expected['keypoints'] = (8, 4, info.num_keypoints, 3)
  for batch in (train_batch, eval_batch):
    assert {k: batch[k].shape for k in expected} == expected
  tx, _ = optim.make_optimizer(config.optimizer, config.steps, 'test')
  state = jax.eval_shape(functools.partial(trainer.init_state, stage, tx, batch_size=1),
                         jax.random.key(0))
  _, metrics, _ = jax.eval_shape(functools.partial(trainer.train_step, stage=stage, tx=tx),
                                 state, train_batch)
  assert metrics.loss.total.shape == ()
  stats = jax.eval_shape(functools.partial(trainer.eval_step, stage=stage), state, eval_batch)
  if task == 'segmentation':  # The head predicts exactly the dataset's classes.
    assert stats['confusion'].shape == (info.num_classes, info.num_classes)
