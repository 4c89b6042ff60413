"""Builds a tiny synthetic_scenes config and checks it round-trips."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from transfer.data import features
from transfer_datasets.synthetic import render
from transfer_datasets.synthetic import synthetic

H, W = 32, 48
CONFIG = synthetic.SyntheticScenesConfig(
    name='tiny', domain='underwater', height=H, width=W, train_size=6,
    validation_size=3, seed=5)


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
  return str(tmp_path_factory.mktemp('tfds'))


@pytest.fixture(scope='module')
def builder(data_dir):
  builder = synthetic.SyntheticScenes(config=CONFIG, data_dir=data_dir)
  builder.download_and_prepare()
  return builder


def _expected(split, size):
  spec = render.DOMAINS[CONFIG.domain]
  return [render.render(synthetic.scene_seed(CONFIG.seed, split, i), spec, H,
                        W) for i in range(size)]


@pytest.mark.parametrize('split,size', [('train', 6), ('validation', 3)])
def test_examples_round_trip(builder, split, size):
  loaded = list(tfds.as_numpy(builder.as_dataset(split=split)))
  assert len(loaded) == size
  expected = _expected(split, size)
  for ex in loaded:
    # Examples come back in any order: match them by their (lossless) image.
    [ref] = [r for r in expected if np.array_equal(r['image'], ex['image'])]
    assert ex['image'].dtype == np.uint8 and ex['image'].shape == (H, W, 3)
    assert ex['segmentation'].dtype == np.uint16
    np.testing.assert_array_equal(ex['segmentation'], ref['segmentation'])
    assert ex['depth'].dtype == np.float32
    np.testing.assert_array_equal(ex['depth'], ref['depth'])
    assert ex['depth'].max() > 1  # Metres, not normalised.
    assert ex['instances'].dtype == np.uint16
    np.testing.assert_array_equal(ex['instances'][..., 0], ref['instance'])
    for key in ('bbox', 'label', 'keypoints', 'is_crowd'):
      assert ex['objects'][key].dtype == ref['objects'][key].dtype
      np.testing.assert_array_equal(ex['objects'][key], ref['objects'][key])
    assert not ex['objects']['is_crowd'].any()
    for flag in features.FLAGS:
      assert ex[flag].dtype == np.bool_ and ex[flag]
    assert set(ex) == {'image', 'segmentation', 'depth', 'instances',
                       'objects', *features.FLAGS}


def test_info(builder):
  info = builder.info
  assert info.name == 'synthetic_scenes'
  assert str(info.version) == '1.1.0'
  assert info.splits['train'].num_examples == 6
  assert info.splits['validation'].num_examples == 3
  assert (info.features.get_serialized_info()
          == features.example_features(5).get_serialized_info())
  assert info.metadata['class_names'] == list(render.CLASS_NAMES)
  assert info.metadata['keypoint_flip_map'] == list(render.KEYPOINT_FLIP_MAP)
  assert info.metadata['domain'] == 'underwater'


def test_tfds_load(builder, data_dir):
  del builder  # Only needs it prepared.
  ds = tfds.load('synthetic_scenes', split='validation', data_dir=data_dir,
                 builder_kwargs={'config': CONFIG}, download=False)
  [ref] = _expected('validation', 1)
  images = [ex['image'] for ex in tfds.as_numpy(ds)]
  assert len(images) == 3
  assert any(np.array_equal(image, ref['image']) for image in images)


def test_configs_and_seeds():
  assert [c.name for c in synthetic.SyntheticScenes.BUILDER_CONFIGS] == list(
      render.DOMAINS)
  with pytest.raises(ValueError):
    synthetic.SyntheticScenesConfig(name='x', domain='mars')
  seeds = {synthetic.scene_seed(s, split, i) for s in range(2)
           for split in ('train', 'validation') for i in range(50)}
  assert len(seeds) == 200
  assert synthetic.scene_seed(0, 'train', 3) == synthetic.scene_seed(
      0, 'train', 3)
