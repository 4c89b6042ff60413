"""Input pipeline batches from a tiny synthetic_scenes build and mock data."""

import io
from unittest import mock

import jax
import numpy as np
import PIL.Image
import pytest
import tensorflow_datasets as tfds

from transfer import config_base
from transfer.data import catalog, pipeline
from transfer.data.mock import mock_datasets
from transfer.errors import UserError
from transfer_datasets.synthetic import render
from transfer_datasets.synthetic import synthetic

H, W = 32, 48
CONFIG = synthetic.SyntheticScenesConfig(
    name='pipeline', domain='sunny', height=H, width=W, train_size=8,
    validation_size=5, seed=3)
DATASET = catalog.get('synthetic_sunny')  # Ignore label, keypoint flip map.
KEYS = ('boxes', 'keypoints', 'segmentation', 'depth')
N = 10  # More than the renderer's 8 objects at most.
K = len(render.KEYPOINT_NAMES)
BATCH = 8  # A multiple of the 8 test devices.


@pytest.fixture(scope='module')
def builder(tmp_path_factory):
  builder = synthetic.SyntheticScenes(
      config=CONFIG, data_dir=str(tmp_path_factory.mktemp('tfds')), file_format='array_record')
  builder.download_and_prepare()
  return builder


def _png(data):
  return np.asarray(PIL.Image.open(io.BytesIO(data)))[..., None]


def _stored(builder, split):
  """The split's examples in index order, read by TFDS and PIL themselves."""
  skip = {key: tfds.decode.SkipDecoding() for key in ('segmentation', 'instances')}
  source = builder.as_data_source(split, decoders=skip)
  return [dict(ex, segmentation=_png(ex['segmentation']), instances=_png(ex['instances']),
               objects={k: np.asarray(v) for k, v in ex['objects'].items()})
          for ex in (source[i] for i in range(len(source)))]


def _config(steps=2, train_examples=None, **input_overrides):
  config = config_base.stage('synthetic_sunny', config_base.task('detection'), steps=steps,
                             train_examples=train_examples)
  config.input.update(dict(dict(size=(24, 40), batch_size=BATCH, scale_range=(0.5, 2.0),
                                max_objects=N, eval_batch_size=BATCH), **input_overrides))
  return config


def _train(builder, keys=KEYS, config=None, state=None):
  return pipeline.train_batches(builder, DATASET, keys, config or _config(), state=state)


def _eval(builder, keys=KEYS, size=(24, 40)):
  config = _config(eval_size=size)
  return pipeline.eval_batches(builder, DATASET, keys, config.input, where='test')


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
    expected.update(keypoints=((n, K, 3), np.float32), reference_sizes=((n,), np.float32))
  if evaluation:
    expected.update(_valid=((), np.bool_), image_hw=((2,), np.int32))
  assert {key: (value.shape, value.dtype) for key, value in batch.items()} == {
      key: ((BATCH, *shape), np.dtype(dtype))
      for key, (shape, dtype) in expected.items()}


def _areas(example, n=N):
  counts = np.bincount(example['instances'].ravel(), minlength=n + 1)[1:n + 1]
  return counts.astype(np.float32)


def _identify(stored, batch):
  """Which stored example each batch row is (areas are not augmented)."""
  return [next(j for j, ex in enumerate(stored) if np.array_equal(_areas(ex), areas))
          for areas in batch['areas']]


def test_train_batches(builder):
  stored = _stored(builder, 'train')
  batch = next(_train(builder, config=_config(color_jitter=0.5)))
  _check_shapes(batch, (24, 40))
  for i, index in enumerate(_identify(stored, batch)):
    ref = stored[index]
    count = len(ref['objects']['label'])
    valid = batch['objects_valid'][i]
    assert not valid[count:].any() and valid.any()
    np.testing.assert_array_equal(batch['labels'][i][:count], ref['objects']['label'])
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


def test_every_epoch_is_a_permutation_of_the_examples(builder):
  stored = _stored(builder, 'train')
  batches = list(_train(builder, keys=('boxes',), config=_config(steps=3)))
  epochs = [_identify(stored, b) for b in batches]
  assert [sorted(e) for e in epochs] == [list(range(8))] * 3
  assert len({tuple(e) for e in epochs}) == 3  # Each epoch in its own order.


def test_train_keeps_the_first_objects(builder):
  stored = _stored(builder, 'train')
  batch = next(_train(builder, keys=('boxes',), config=_config(max_objects=2)))
  _check_shapes(batch, (24, 40), keys=('boxes',), n=2)
  for i in range(BATCH):
    [ref] = [ex for ex in stored if np.array_equal(_areas(ex, 2), batch['areas'][i])]
    np.testing.assert_array_equal(batch['labels'][i], ref['objects']['label'][:2])


def _assert_batches_equal(a, b):
  assert len(a) == len(b)
  for x, y in zip(a, b):
    assert x.keys() == y.keys()
    for key in x:
      np.testing.assert_array_equal(x[key], y[key], err_msg=key)


def test_a_resumed_iterator_yields_exactly_the_remaining_batches(builder):
  config = _config(steps=5, color_jitter=0.5)
  batches = _train(builder, config=config)
  whole = list(batches)
  assert batches.state['next_batch'] == 5
  partial = _train(builder, config=config)
  first = [next(partial), next(partial)]
  state = dict(partial.state)
  partial.close()
  assert state['next_batch'] == 2
  _assert_batches_equal(first + list(_train(builder, config=config, state=state)), whole)


def test_a_state_from_another_config_is_refused(builder):
  state = dict(_train(builder).state, global_batch=16)
  with pytest.raises(UserError, match='input state') as error:
    _train(builder, state=state)
  assert 'new --workdir' in error.value.fix


@pytest.mark.parametrize('process_count', [2, 4])
def test_global_batches_are_the_same_on_any_process_count(builder, process_count):
  config = _config(steps=3, train_examples=5, color_jitter=0.3)
  single = list(_train(builder, config=config))
  shares = []
  for index in range(process_count):
    with mock.patch.object(jax, 'process_count', lambda: process_count), \
         mock.patch.object(jax, 'process_index', lambda index=index: index):
      shares.append(list(_train(builder, config=config)))
  joined = [{key: np.concatenate([share[step][key] for share in shares])
             for key in single[0]} for step in range(3)]
  _assert_batches_equal(joined, single)


def test_a_train_subset_is_fixed_by_its_seed(builder):
  stored = _stored(builder, 'train')
  seen = {i for b in _train(builder, keys=('boxes',), config=_config(steps=4, train_examples=3))
          for i in _identify(stored, b)}
  assert seen == set(pipeline.subset_indices(8, 3, seed=0).tolist())


def test_eval_batches(builder):
  stored = _stored(builder, 'validation')
  [batch] = list(_eval(builder))
  _check_shapes(batch, (24, 40), evaluation=True)
  np.testing.assert_array_equal(batch['_valid'], [True] * 5 + [False] * 3)
  np.testing.assert_array_equal(batch['image_hw'], [[H, W]] * 5 + [[0, 0]] * 3)
  for i, ref in enumerate(stored):
    objects = ref['objects']
    count = len(objects['label'])
    np.testing.assert_array_equal(batch['objects_valid'][i], np.arange(N) < count)
    np.testing.assert_array_equal(batch['boxes'][i][:count], objects['bbox'])
    np.testing.assert_array_equal(batch['keypoints'][i][:count], objects['keypoints'])
    np.testing.assert_array_equal(batch['labels'][i][:count], objects['label'])
    np.testing.assert_array_equal(batch['areas'][i], _areas(ref))
    assert batch['areas'][i][:count].min() > 0
  for key, value in batch.items():  # Padding examples are all zero.
    assert not value[5:].any(), key


def test_eval_at_the_original_size_keeps_the_example(builder):
  stored = _stored(builder, 'validation')
  [batch] = list(_eval(builder, keys=('segmentation', 'depth'), size=(H, W)))
  _check_shapes(batch, (H, W), keys=('segmentation', 'depth'), evaluation=True)
  for i, ref in enumerate(stored):
    for key in ('image', 'segmentation', 'depth'):
      np.testing.assert_array_equal(batch[key][i], ref[key])


def test_eval_shares_cover_the_split_once(builder):
  stored = _stored(builder, 'validation')
  rows = []
  for index in range(3):
    with mock.patch.object(jax, 'process_count', lambda: 3), \
         mock.patch.object(jax, 'process_index', lambda index=index: index):
      [batch] = list(_eval(builder, keys=('segmentation',), size=(H, W)))
    rows += [image.tobytes() for image, valid in zip(batch['image'], batch['_valid']) if valid]
  assert sorted(rows) == sorted(ex['image'].tobytes() for ex in stored)


def test_keypoints_need_a_flip_map(builder):
  broken = catalog.dataclasses.replace(DATASET, keypoint_flip_map=(0, 1))
  with pytest.raises(ValueError, match='permutation'):
    pipeline.train_batches(builder, broken, ('keypoints',), _config())


def test_mock_data_batches_like_real_data():
  with mock_datasets(num_examples=8):
    mock_builder = tfds.builder('synthetic_scenes/sunny')
    for keys in (KEYS, ('depth',)):
      _check_shapes(next(_train(mock_builder, keys=keys, config=_config(color_jitter=1.0))),
                    (24, 40), keys=keys)
      _check_shapes(next(_eval(mock_builder, keys=keys)), (24, 40), keys=keys,
                    evaluation=True)
    # The pipeline passes boxes and keypoints through unrepaired: the mock's
    # own values keep the format.
    batch = next(_train(mock_builder))
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
