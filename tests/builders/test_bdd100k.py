import json
import shutil
import tempfile

import numpy as np
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer_datasets.bdd100k import bdd100k

H, W = 18, 32


class Bdd100kSegmentationTest(builder_testing.BuilderTest):
  DATASET_CLASS = bdd100k.Bdd100k
  BUILDER_CONFIG_NAMES_TO_TEST = ['segmentation']
  SPLITS = {'train': 2, 'validation': 1}  # the unmasked 10K image is skipped

  def test_mask_values_are_class_ids_and_unknown_is_ignored(self):
    seen = set()
    for split in ('train', 'validation'):
      for ex in self.examples(split, 'segmentation'):
        seg = ex['segmentation'][..., 0]
        assert ex['image'].shape == (H, W, 3) and seg.shape == (H, W)
        assert ex['has_segmentation'] and not ex['has_boxes'] and not ex['has_depth']
        np.testing.assert_array_equal(seg[:6], 10)         # sky
        np.testing.assert_array_equal(seg[12:], 0)         # road
        np.testing.assert_array_equal(seg[6:12, :8], 18)   # bicycle
        np.testing.assert_array_equal(seg[6:12, 16:], 255)  # unknown -> ignore
        value = int(seg[6, 8])
        np.testing.assert_array_equal(seg[6:12, 8:16], value)
        seen.add((split, value))
    # Masks in name order carry 1, 2 (train) and 3 (val).
    assert seen == {('train', 1), ('train', 2), ('validation', 3)}


class Bdd100kDetectionTest(builder_testing.BuilderTest):
  DATASET_CLASS = bdd100k.Bdd100k
  BUILDER_CONFIG_NAMES_TO_TEST = ['detection']
  SPLITS = {'train': 2, 'validation': 1}  # the image not in the JSON is skipped

  def _by_count(self, split):
    return {len(ex['objects']['label']): ex for ex in self.examples(split, 'detection')}

  def test_boxes_labels_and_ignored_categories(self):
    ex = self._by_count('train')[3]
    assert ex['has_boxes'] and not ex['has_segmentation']
    assert ex['image'].shape == (H, W, 3)
    objects = ex['objects']
    # car, traffic light, "other vehicle" -> car marked crowd (ignored).
    np.testing.assert_array_equal(objects['label'], [2, 8, 2])
    np.testing.assert_array_equal(objects['is_crowd'], [False, False, True])
    # Scalabel's x2, y2 are inclusive: the box ends at x2 + 1, y2 + 1.
    np.testing.assert_allclose(objects['bbox'], [
        [2.5 / H, 3.25 / W, 9.0 / H, 11.75 / W],
        [0.0, 28.0 / W, 5.0 / H, 1.0],  # x2 + 1 = 32.9 clipped to the image
        [10.0 / H, 12.0 / W, 16.0 / H, 20.0 / W],
    ], atol=1e-6)

  def test_frame_without_labels_has_no_objects(self):
    ex = self._by_count('train')[0]
    assert ex['has_boxes'] and ex['objects']['bbox'].shape == (0, 4)

  def test_crowd_attribute(self):
    ex, = self.examples('validation', 'detection')
    np.testing.assert_array_equal(ex['objects']['label'], [0, 9])
    np.testing.assert_array_equal(ex['objects']['is_crowd'], [True, False])
    np.testing.assert_allclose(ex['objects']['bbox'][0],
                               [6.0 / H, 0.0, 18.0 / H, 8.0 / W], atol=1e-6)


class Bdd100kDetectionFoiTest(builder_testing.BuilderTest):
  """The paper's definition: 2018 labels, ids in its alphabetical order
  (bike 0, bus 1, car 2, motor 3, person 4, rider 5, traffic light 6,
  traffic sign 7, train 8, truck 9), boxes exactly as the JSON's box2d."""
  DATASET_CLASS = bdd100k.Bdd100k
  BUILDER_CONFIG_NAMES_TO_TEST = ['detection_foi']
  SPLITS = {'train': 2, 'validation': 1}  # the image not in the JSON is skipped

  def _by_count(self, split):
    return {len(ex['objects']['label']): ex for ex in self.examples(split, 'detection_foi')}

  @staticmethod
  def _pixels(ex):
    """Decoded boxes as pixel (x1, y1, x2, y2)."""
    ymin, xmin, ymax, xmax = (ex['objects']['bbox'] * [H, W, H, W]).T
    return np.stack([xmin, ymin, xmax, ymax], -1)

  def test_box2d_labels_as_given_and_polygons_skipped(self):
    ex = self._by_count('train')[3]  # car, traffic light, (drivable area), bike, (lane)
    assert ex['has_boxes'] and not ex['has_segmentation'] and ex['image'].shape == (H, W, 3)
    np.testing.assert_array_equal(ex['objects']['label'], [2, 6, 0])
    np.testing.assert_array_equal(ex['objects']['is_crowd'], [False] * 3)
    np.testing.assert_allclose(self._pixels(ex), [
        [3.217391, 2.518072, 10.748129, 7.983445],
        [28.0, 0.0, 31.9, 4.0],  # no +1: inside the 32 px wide image
        [12.0, 10.0, 19.0, 15.0]], atol=1e-5)

  def test_frame_with_only_a_lane_has_no_objects(self):
    ex = self._by_count('train')[0]
    assert ex['has_boxes'] and ex['objects']['bbox'].shape == (0, 4)

  def test_validation_classes_and_degenerate_box(self):
    ex, = self.examples('validation', 'detection_foi')
    np.testing.assert_array_equal(ex['objects']['label'], [4, 9, 3])  # person, truck, motor
    assert not ex['objects']['is_crowd'].any()
    np.testing.assert_allclose(self._pixels(ex), [
        [0.0, 6.0, 7.0, 17.0], [20.5, 1.25, 23.75, 3.5], [8.0, 8.0, 8.0, 9.5]], atol=1e-5)


# ------------------------------------------------------------ malformed files

def _build(config, manual_dir):
  builder = bdd100k.Bdd100k(config=config, data_dir=tempfile.mkdtemp())
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))


@pytest.fixture
def manual_dir(tmp_path):
  shutil.copytree(Bdd100kSegmentationTest.dummy_data, tmp_path / 'manual')
  return tmp_path / 'manual'


def test_mask_with_a_value_outside_the_classes_names_the_mask(manual_dir):
  from PIL import Image  # pylint: disable=g-import-not-at-top
  path = manual_dir / 'bdd100k/labels/sem_seg/masks/val/7d06fefd-f7be05a6.png'
  mask = np.asarray(Image.open(path)).copy()
  mask[0, 0] = 19
  Image.fromarray(mask).save(path)
  with pytest.raises(builders.DatasetFileError, match='7d06fefd-f7be05a6.png.*19'):
    _build('segmentation', manual_dir)


def test_bad_json_and_unknown_category_name_the_json(manual_dir):
  path = manual_dir / 'bdd100k/labels/det_20/det_val.json'
  frames = json.loads(path.read_text())
  frames[0]['labels'][1]['category'] = 'lane'
  path.write_text(json.dumps(frames))
  with pytest.raises(builders.DatasetFileError, match="det_val.json.*unknown category 'lane'"):
    _build('detection', manual_dir)
  path.write_text('[{"name": ')
  with pytest.raises(builders.DatasetFileError, match='det_val.json.*not valid JSON'):
    _build('detection', manual_dir)


def test_missing_image_is_named(manual_dir):
  (manual_dir / 'bdd100k/images/100k/val/b1ca2e5d-84cf9134.jpg').unlink()
  with pytest.raises(builders.DatasetFileError, match='b1ca2e5d-84cf9134.jpg: not found'):
    _build('detection', manual_dir)


def test_2018_box_of_an_unknown_category_names_the_json(manual_dir):
  path = manual_dir / 'bdd100k/labels/bdd100k_labels_images_val.json'
  frames = json.loads(path.read_text())
  frames[0]['labels'][1]['category'] = 'pedestrian'  # a 2020 name
  path.write_text(json.dumps(frames))
  with pytest.raises(builders.DatasetFileError,
                     match="images_val.json.*unknown box category 'pedestrian'"):
    _build('detection_foi', manual_dir)
