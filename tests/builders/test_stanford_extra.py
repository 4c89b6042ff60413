import json
import shutil
import tempfile

import numpy as np
from PIL import Image
import pytest
from scipy import io as scipy_io
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer_datasets.stanford_extra import stanford_extra

ANNOTATIONS = 'StanfordExtra_v12'
JSON = f'{ANNOTATIONS}/StanfordExtra_v12.json'


def _by_name(cls, split):
  """{image file stem: example} of cls.CONFIG, matched by pixels (stored order
  is hashed)."""
  out = {}
  examples = cls.examples(split, cls.CONFIG)
  for ex in examples:
    for path in (cls.dummy_data / 'Images').glob('*/*.jpg'):
      if np.array_equal(np.asarray(Image.open(path).convert('RGB')), ex['image']):
        out[path.stem] = ex
  assert len(out) == len(examples)
  return out


class StanfordExtraTest(builder_testing.BuilderTest):
  DATASET_CLASS = stanford_extra.StanfordExtra
  BUILDER_CONFIG_NAMES_TO_TEST = ['v12']
  SPLITS = {'train': 2, 'validation': 2, 'test': 1}
  CONFIG = None  # The default (first) config, v12.
  by_name = classmethod(_by_name)

  def test_official_splits(self):
    assert set(self.by_name('train')) == {'n02087394_1352', 'n02087394_10591'}
    assert set(self.by_name('validation')) == {'n02087394_36', 'n02085620_10074'}
    assert set(self.by_name('test')) == {'n02085620_1007'}

  def test_keypoints_visibility_and_placeholders(self):
    ex = self.by_name('validation')['n02085620_10074']
    h, w = 32, 40
    assert ex['image'].shape == (h, w, 3) and ex['has_keypoints']
    kp = ex['objects']['keypoints']
    assert kp.shape == (1, 20, 3)
    def at(x, y, v):
      return [(y + 0.5) / h, (x + 0.5) / w, v]
    np.testing.assert_allclose(kp[0, 0], at(6.0, 26.5, 2), atol=1e-6)   # visible
    np.testing.assert_allclose(kp[0, 1], at(7.5, 20.0, 1), atol=1e-6)   # occluded
    np.testing.assert_allclose(kp[0, 16], at(33.0, 19 / 3, 2), atol=1e-6)
    np.testing.assert_allclose(kp[0, 18], at(30.0, 4.0, 2), atol=1e-6)
    np.testing.assert_array_equal(kp[0, 12], [0, 0, 0])  # [NaN, NaN, 0]
    unlabelled = [k for k in range(20) if k not in (0, 1, 16, 18, 19)]
    np.testing.assert_array_equal(kp[0, unlabelled], 0)
    kp = self.by_name('validation')['n02087394_36']['objects']['keypoints']
    np.testing.assert_array_equal(kp[0, 5], [0, 0, 0])
    assert kp[0, 2, 2] == 2

  def test_box_label_and_silhouette(self):
    ex = self.by_name('validation')['n02085620_10074']
    objects = ex['objects']
    np.testing.assert_array_equal(objects['label'], [0])
    np.testing.assert_array_equal(objects['is_crowd'], [False])
    # img_bbox [5, 4, 30, 24] on a 40x32 image.
    np.testing.assert_allclose(objects['bbox'][0], [4 / 32, 5 / 40, 28 / 32, 35 / 40], atol=1e-6)
    assert ex['has_instances'] and ex['has_boxes'] and not ex['has_segmentation']
    expected = np.zeros((32, 40), np.uint16)
    expected[4:28, 5:35] = 1
    np.testing.assert_array_equal(ex['instances'][..., 0], expected)

  def test_empty_seg_means_no_instances(self):
    ex = self.by_name('train')['n02087394_10591']
    assert not ex['has_instances'] and ex['has_keypoints']
    np.testing.assert_array_equal(ex['instances'], 0)
    np.testing.assert_allclose(ex['objects']['keypoints'][0, 13, 2], 2)

  def test_rle_decoding_matches_pycocotools(self):
    from pycocotools import mask as mask_utils  # pylint: disable=g-import-not-at-top
    rng = np.random.default_rng(1)
    for _ in range(20):
      h, w = rng.integers(1, 50, 2)
      mask = (rng.random((h, w)) < rng.random()).astype(np.uint8)
      counts = mask_utils.encode(np.asfortranarray(mask))['counts'].decode()
      np.testing.assert_array_equal(stanford_extra.decode_rle(counts, h, w), mask)


class StanfordExtraFoiTest(builder_testing.BuilderTest):
  """The paper's definition: v1 on the Stanford Dogs train / test lists."""
  DATASET_CLASS = stanford_extra.StanfordExtra
  BUILDER_CONFIG_NAMES_TO_TEST = ['foi']
  SPLITS = {'train': 2, 'test': 2}
  CONFIG = 'foi'
  by_name = classmethod(_by_name)

  def test_stanford_dogs_list_splits(self):
    # train_list.mat: 10074, 10131 (not in the JSON), 1352; test_list.mat:
    # 1007, 10591, 36 (not in v1). In v1.2's splits 10074 is val, 10591 train.
    assert set(self.by_name('train')) == {'n02085620_10074', 'n02087394_1352'}
    assert set(self.by_name('test')) == {'n02085620_1007', 'n02087394_10591'}

  def test_v1_joints_to_coco_visibility(self):
    ex = self.by_name('test')['n02087394_10591']
    h, w = 36, 28
    kp = ex['objects']['keypoints']
    assert kp.shape == (1, 20, 3) and ex['has_keypoints']
    np.testing.assert_allclose(kp[0, 3], [28.5 / h, 6.5 / w, 1], atol=1e-6)   # [6, 28, 0]
    np.testing.assert_allclose(kp[0, 13], [5.5 / h, 25.5 / w, 2], atol=1e-6)  # [25, 5, 1]
    np.testing.assert_array_equal(kp[0, [k for k in range(20) if k not in (3, 13)]], 0)
    ex = self.by_name('train')['n02085620_10074']
    kp = ex['objects']['keypoints']
    np.testing.assert_array_equal(kp[0, :, 2], [2, 1] + [0] * 14 + [2, 0, 2, 2])

  def test_box_kept_without_silhouette(self):
    ex = self.by_name('train')['n02085620_10074']
    assert ex['has_boxes'] and not ex['has_instances']
    np.testing.assert_array_equal(ex['instances'], 0)
    np.testing.assert_array_equal(ex['objects']['label'], [0])
    np.testing.assert_array_equal(ex['objects']['is_crowd'], [False])
    np.testing.assert_allclose(ex['objects']['bbox'][0], [4 / 32, 5 / 40, 28 / 32, 35 / 40],
                               atol=1e-6)


def test_foi_entry_in_no_list_is_named(manual_dir):
  scipy_io.savemat(manual_dir / 'test_list.mat',
                   {'file_list': np.array(['n02085620-Chihuahua/n02085620_1007.jpg'],
                                          object).reshape(-1, 1)})
  with pytest.raises(builders.DatasetFileError,
                     match=r'StanfordExtra_v1.json.*in neither.*\(1, first .*n02087394_10591'):
    _build(manual_dir, 'foi')


def test_foi_missing_list_is_named(manual_dir):
  (manual_dir / 'train_list.mat').unlink()
  with pytest.raises(builders.DatasetFileError, match='train_list.mat: not found'):
    _build(manual_dir, 'foi')


def _build(manual_dir, config=None):
  builder = stanford_extra.StanfordExtra(config=config, data_dir=tempfile.mkdtemp())
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))


@pytest.fixture
def manual_dir(tmp_path):
  shutil.copytree(StanfordExtraTest.dummy_data, tmp_path / 'manual')
  return tmp_path / 'manual'


def _edit_entry(manual_dir, index, **changes):
  path = manual_dir / JSON
  entries = json.loads(path.read_text())
  entries[index].update(changes)
  path.write_text(json.dumps(entries))


def test_corrupt_json_is_named(manual_dir):
  (manual_dir / JSON).write_text('[{"img_path": ')
  with pytest.raises(builders.DatasetFileError, match='StanfordExtra_v12.json.*not valid JSON'):
    _build(manual_dir)


def test_bad_rle_is_named(manual_dir):
  _edit_entry(manual_dir, 3, seg='T5h0')  # Runs do not cover the image.
  with pytest.raises(builders.DatasetFileError, match='StanfordExtra_v12.json.*entry 3'):
    _build(manual_dir)


def test_image_size_mismatch_is_named(manual_dir):
  _edit_entry(manual_dir, 2, img_width=33)
  with pytest.raises(builders.DatasetFileError, match='n02085620_1007.jpg.*32x24'):
    _build(manual_dir)


def test_split_index_out_of_range_is_named(manual_dir):
  np.save(manual_dir / ANNOTATIONS / 'test_stanford_StanfordExtra_v12.npy', np.array([7]))
  with pytest.raises(builders.DatasetFileError, match='test_stanford_StanfordExtra_v12.npy'):
    _build(manual_dir)


def test_missing_annotations_are_named(manual_dir):
  shutil.rmtree(manual_dir / ANNOTATIONS)
  with pytest.raises(builders.DatasetFileError, match='StanfordExtra_v12.json: not found'):
    _build(manual_dir)
