"""Input pipeline batches from a tiny synthetic_scenes build and mock data."""

from unittest import mock

import jax
import numpy as np
import pytest
import tensorflow_datasets as tfds

from transfer.data import pipeline
from transfer.data.mock import mock_datasets
from transfer.errors import UserError
from transfer_datasets.synthetic import render
from transfer_datasets.synthetic import synthetic

H, W = 32, 48
CONFIG = synthetic.SyntheticScenesConfig(
    name='pipeline', domain='sunny', height=H, width=W, train_size=8,
    validation_size=5, seed=3)
KEYS = ('boxes', 'keypoints', 'segmentation', 'depth')
N = 10  # More than the renderer's 8 objects at most.
K = len(render.KEYPOINT_NAMES)
BATCH = 8  # A multiple of the 8 test devices.
OBJECT_KEYS = {'boxes', 'labels', 'is_crowd', 'objects_valid', 'areas'}


@pytest.fixture(scope='module')
def builder(tmp_path_factory):
  builder = synthetic.SyntheticScenes(
      config=CONFIG, data_dir=str(tmp_path_factory.mktemp('tfds')))
  builder.download_and_prepare()
  return builder


def _stored(builder, split):
  """The split's examples in the order the pipeline reads them."""
  return list(tfds.as_numpy(builder.as_dataset(split=split,
                                               shuffle_files=False)))


def _first_batch(ds):
  return next(iter(tfds.as_numpy(ds)))


def _train(builder, keys=KEYS, max_objects=N, **kwargs):
  return pipeline.train_dataset(
      builder, 'train', None, keys, size=(24, 40), batch_size=BATCH,
      scale_range=(0.5, 2.0), ignore_label=render.IGNORE_LABEL, seed=0,
      where='test', max_objects=max_objects,
      keypoint_flip_map=render.KEYPOINT_FLIP_MAP, **kwargs)


def _eval(builder, keys=KEYS, size=(24, 40)):
  return pipeline.eval_dataset(
      builder, 'validation', keys, size=size, batch_size=BATCH,
      ignore_label=render.IGNORE_LABEL, where='test', max_objects=N)


def _check_shapes(batch, size, keys=KEYS, n=N, evaluation=False):
  expected = {'image': ((*size, 3), np.uint8)}
  if 'segmentation' in keys:
    expected['segmentation'] = ((*size, 1), np.int32)
  if 'depth' in keys:
    expected['depth'] = ((*size, 1), np.float32)
  if {'boxes', 'keypoints'} & set(keys):
    expected.update(boxes=((n, 4), np.float32), labels=((n,), np.int32),
                    is_crowd=((n,), np.bool_), objects_valid=((n,), np.bool_),
                    areas=((n,), np.float32))
  if 'keypoints' in keys:
    expected['keypoints'] = ((n, K, 3), np.float32)
  if evaluation:
    expected.update(_valid=((), np.bool_), image_hw=((2,), np.int32))
  assert {key: (value.shape, value.dtype) for key, value in batch.items()} == {
      key: ((BATCH, *shape), np.dtype(dtype))
      for key, (shape, dtype) in expected.items()}


def _areas(example, n=N):
  counts = np.bincount(example['instances'].ravel(), minlength=n + 1)[1:n + 1]
  return counts.astype(np.float32)


def test_train_batches(builder):
  stored = _stored(builder, 'train')
  batch = _first_batch(_train(builder, color_jitter=0.5))
  _check_shapes(batch, (24, 40))
  for i in range(BATCH):
    # Areas are not augmented: they tell which stored example this is.
    [ref] = [ex for ex in stored
             if np.array_equal(_areas(ex), batch['areas'][i])]
    count = len(ref['objects']['label'])
    valid = batch['objects_valid'][i]
    assert not valid[count:].any() and valid.any()
    np.testing.assert_array_equal(batch['labels'][i][:count],
                                  ref['objects']['label'])
    assert not batch['labels'][i][count:].any()
    boxes = batch['boxes'][i]
    assert np.all((boxes >= 0) & (boxes <= 1))
    assert np.all(boxes[valid][:, 2:] > boxes[valid][:, :2])
    assert not boxes[~valid].any()
    keypoints = batch['keypoints'][i]
    assert not keypoints[keypoints[..., 2] == 0].any()
    assert set(np.unique(batch['segmentation'][i])) <= set(
        range(len(render.CLASS_NAMES))) | {render.IGNORE_LABEL}
    assert batch['depth'][i].min() >= 0


def test_train_keeps_the_first_objects(builder):
  stored = _stored(builder, 'train')
  batch = _first_batch(_train(builder, keys=('boxes',), max_objects=2))
  _check_shapes(batch, (24, 40), keys=('boxes',), n=2)
  for i in range(BATCH):
    [ref] = [ex for ex in stored
             if np.array_equal(_areas(ex, 2), batch['areas'][i])]
    np.testing.assert_array_equal(batch['labels'][i],
                                  ref['objects']['label'][:2])


def test_eval_batches(builder):
  stored = _stored(builder, 'validation')
  [batch] = list(tfds.as_numpy(_eval(builder)))
  _check_shapes(batch, (24, 40), evaluation=True)
  np.testing.assert_array_equal(batch['_valid'], [True] * 5 + [False] * 3)
  np.testing.assert_array_equal(batch['image_hw'], [[H, W]] * 5 + [[0, 0]] * 3)
  for i, ref in enumerate(stored):
    objects = ref['objects']
    count = len(objects['label'])
    np.testing.assert_array_equal(batch['objects_valid'][i],
                                  np.arange(N) < count)
    np.testing.assert_array_equal(batch['boxes'][i][:count], objects['bbox'])
    np.testing.assert_array_equal(batch['keypoints'][i][:count],
                                  objects['keypoints'])
    np.testing.assert_array_equal(batch['labels'][i][:count], objects['label'])
    np.testing.assert_array_equal(batch['areas'][i], _areas(ref))
    assert batch['areas'][i][:count].min() > 0
  for key, value in batch.items():  # Padding examples are all zero.
    assert not value[5:].any(), key


def test_eval_at_the_original_size_keeps_the_example(builder):
  stored = _stored(builder, 'validation')
  [batch] = list(tfds.as_numpy(_eval(builder, keys=('segmentation', 'depth'),
                                     size=(H, W))))
  _check_shapes(batch, (H, W), keys=('segmentation', 'depth'),
                evaluation=True)
  for i, ref in enumerate(stored):
    for key in ('image', 'segmentation', 'depth'):
      np.testing.assert_array_equal(batch[key][i], ref[key])


def test_keypoints_need_a_flip_map(builder):
  with pytest.raises(ValueError, match='permutation'):
    pipeline.train_dataset(
        builder, 'train', None, ('keypoints',), size=(24, 40),
        batch_size=BATCH, scale_range=(1.0, 1.0), ignore_label=255, seed=0,
        where='test')


def test_mock_data_batches_like_real_data():
  with mock_datasets(num_examples=8):
    mock_builder = tfds.builder('synthetic_scenes/sunny')
    for keys in (KEYS, ('depth',)):
      train = _first_batch(_train(mock_builder, keys=keys, color_jitter=1.0))
      _check_shapes(train, (24, 40), keys=keys)
      _check_shapes(_first_batch(_eval(mock_builder, keys=keys)), (24, 40), keys=keys,
                    evaluation=True)
    # The pipeline passes boxes and keypoints through unrepaired: the mock's
    # own values keep the format.
    batch = _first_batch(_train(mock_builder))
    valid = batch['objects_valid']
    assert valid.any()
    boxes = batch['boxes'][valid]
    assert np.all((boxes >= 0) & (boxes <= 1)) and np.all(boxes[:, 2:] >= boxes[:, :2])
    assert set(np.unique(batch['keypoints'][..., 2]).tolist()) <= {0, 1, 2}
    assert set(np.unique(batch['segmentation']).tolist()) <= set(
        range(len(render.CLASS_NAMES))) | {render.IGNORE_LABEL}


def test_subset_indices_are_fixed_and_nested():
  # Hard-coded: the same subset on every machine and numpy version.
  assert pipeline.subset_indices(20, 5, seed=0).tolist() == [3, 7, 9, 11, 18]
  assert pipeline.subset_indices(20, 6, seed=0).tolist() == [3, 7, 8, 9, 11, 18]
  assert pipeline.subset_indices(20, 5, seed=1).tolist() == [0, 7, 8, 9, 16]
  assert pipeline.subset_indices(20, None, seed=0).tolist() == list(range(20))
  assert pipeline.subset_indices(20, 50, seed=0).tolist() == list(range(20))


@pytest.mark.parametrize('process_count', [1, 2, 3])
def test_train_subset_is_the_same_for_any_process_count(builder, process_count):
  stored = _stored(builder, 'train')
  expected = sorted(stored[i]['image'].tobytes()
                    for i in pipeline.subset_indices(len(stored), 3, seed=7))
  read = []
  for index in range(process_count):
    with mock.patch.object(jax, 'process_count', lambda: process_count), \
         mock.patch.object(jax, 'process_index', lambda: index):
      ds = pipeline.read_train_split(builder, 'train', 3, subset_seed=7, seed=0)
      read += [ex['image'].tobytes() for ex in tfds.as_numpy(ds)]
  assert sorted(read) == expected


def test_train_subset_smaller_than_the_process_count_is_a_user_error(builder):
  with mock.patch.object(jax, 'process_count', lambda: 3), \
       mock.patch.object(jax, 'process_index', lambda: 2), \
       pytest.raises(UserError, match='train_examples=2') as error:
    pipeline.read_train_split(builder, 'train', 2, subset_seed=7, seed=0, where='config.target.train_examples')
  assert error.value.where == 'config.target.train_examples'
