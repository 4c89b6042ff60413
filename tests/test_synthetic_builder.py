"""Builds a tiny synthetic_scenes config and checks it round-trips."""

import dataclasses
import tempfile

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


# The benchmark's factors, each as configuration (names as configs write them).

def _tiny(name):
  """The catalogue's info for `name`; its builder config with tiny images."""
  from transfer.data import catalog  # pylint: disable=g-import-not-at-top
  info = catalog.get(name)
  return info, dataclasses.replace(info.builder_config, name='t', height=16, width=16)


def test_mixture_draws_each_domain_in_proportion():
  info, config = _tiny('synthetic_mix?weights=street:2,aerial:1,closeup:1&train=4000')
  assert info.domain == 'synthetic-street+synthetic-aerial+synthetic-closeup'
  drawn = [config.example_domain('train', i) for i in range(4000)]
  counts = {d: drawn.count(d) / len(drawn) for d in ('street', 'aerial', 'closeup')}
  # Binomial standard deviation at n = 4000 is below 0.008.
  np.testing.assert_allclose(list(counts.values()), [0.5, 0.25, 0.25], atol=0.03)
  # Each example is rendered in its own domain, with that domain's layout.
  builder = synthetic.SyntheticScenes(config=dataclasses.replace(config, train_size=8),
                                      data_dir=tempfile.mkdtemp())
  builder.download_and_prepare()
  expected = [render.render(synthetic.scene_seed(0, 'train', i),
                            render.DOMAINS[config.example_domain('train', i)], 16, 16)
              for i in range(8)]
  loaded = [ex['image'] for ex in tfds.as_numpy(builder.as_dataset(split='train'))]
  assert sorted(a.tobytes() for a in loaded) == sorted(e['image'].tobytes() for e in expected)
  assert builder.info.metadata['domain'] == 'street+aerial+closeup'


def test_domain_gap_interpolates_between_the_two_domains():
  names = [f'synthetic_sunny?towards=underwater&gap={t}' for t in (0, 0.5, 1)]
  (_, near), (info, half), (_, far) = map(_tiny, names)
  assert info.domain == 'synthetic-sunny~underwater@0.5'
  assert near.specs == {'sunny~underwater@0': render.DOMAINS['sunny']}
  assert list(far.specs.values()) == [render.DOMAINS['underwater']]
  [spec] = half.specs.values()
  assert spec.haze_density == pytest.approx(
      (render.DOMAINS['sunny'].haze_density + render.DOMAINS['underwater'].haze_density) / 2)
  images = [render.render(synthetic.scene_seed(0, 'train', 0), s, 32, 32)['image'] / 255
            for s in (render.DOMAINS['sunny'], spec, render.DOMAINS['underwater'])]
  gap = lambda a, b: np.abs(a - b).mean()
  assert 0 < gap(images[0], images[1]) < gap(images[0], images[2])
  assert 0 < gap(images[1], images[2]) < gap(images[0], images[2])


def test_label_space_draws_only_the_named_classes():
  _, every = _tiny('synthetic_street?seed=3')
  _, some = _tiny('synthetic_street?seed=3&classes=sphere,cylinder')
  [spec] = some.specs.values()
  assert spec.layout.object_classes == (render.SPHERE, render.CYLINDER)
  labels = [o.label for i in range(40)
            for o in render.sample_layout(synthetic.scene_seed(3, 'train', i), spec.layout)]
  assert set(labels) == {render.SPHERE, render.CYLINDER}
  # Only the class draws change: spheres and cylinders of the full label
  # space stay where they were.
  [full] = every.specs.values()
  for i in range(10):
    seed = synthetic.scene_seed(3, 'train', i)
    kept = {(o.x, o.z) for o in render.sample_layout(seed, full.layout) if o.label != render.CUBE}
    assert len(kept & {(o.x, o.z) for o in render.sample_layout(seed, spec.layout)}) >= len(kept) // 2


def test_size_and_seed_are_options():
  info, config = _tiny('synthetic_street?seed=4&train=50&validation=7')
  assert (config.train_size, config.validation_size, config.seed) == (50, 7, 4)
  assert info.domain == 'synthetic-street'
  _, other = _tiny('synthetic_street?seed=5')
  assert info.builder_config.name != other.name


@pytest.mark.parametrize('name,problem', [
    ('synthetic_mix?weights=street:x', "weight 'x'"),
    ('synthetic_mix?weights=street:0', 'positive'),
    ('synthetic_mix?weights=street:1,street:2', 'each domain once'),
    ('synthetic_mars?seed=1', "Unknown domain 'mars'"),
    ('synthetic_street?sed=1', "unknown option(s) ['sed']"),
    ('synthetic_street?weights=aerial:1', 'only it takes them'),
    ('synthetic_street?gap=0.5', 'both towards'),
    ('synthetic_street?towards=aerial&gap=2', 'gap must be in [0, 1]'),
    ('synthetic_mix?weights=street:1&towards=aerial&gap=0.5', 'cannot be combined'),
    ('synthetic_street?classes=cone', "Unknown object classes ('cone',)"),
    ('synthetic_street?train=0', 'train_size must be at least 1'),
    ('synthetic_street?seed=one', "seed='one' is not an integer"),
    ('synthetic_street?seed', 'KEY=VALUE'),
])
def test_bad_names_are_one_clear_error(name, problem):
  from transfer.data import catalog  # pylint: disable=g-import-not-at-top
  from transfer.errors import UserError  # pylint: disable=g-import-not-at-top
  with pytest.raises(UserError) as error:
    catalog.get(name, where='config.sources.a.dataset')
  assert problem in str(error.value) and error.value.where == 'config.sources.a.dataset'
