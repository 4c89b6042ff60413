import json
import re
import shutil
import tempfile

import numpy as np
from PIL import Image
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer_datasets import coco
from transfer_datasets.coco import coco2017

IGNORE = 255


def _index(name):
  return coco.PANOPTIC_NAMES.index(name)


class CocoPanopticDetectionTest(builder_testing.BuilderTest):
  DATASET_CLASS = coco2017.Coco2017
  BUILDER_CONFIG_NAMES_TO_TEST = ['panoptic', 'detection']
  SPLITS = {'train': 2, 'validation': 1}

  def _example(self, config, split, image_id):
    examples = self.examples(split, config)
    match = [ex for ex in examples if ex['image'].shape[:2] == _SIZES[image_id]]
    assert len(match) == 1, [ex['image'].shape for ex in examples]
    return match[0]

  def test_panoptic_segments_decode_to_class_ids(self):
    ex = self._example('panoptic', 'train', 9)
    seg = ex['segmentation'][..., 0]
    assert ex['has_segmentation'] and ex['has_boxes'] and ex['has_instances']
    np.testing.assert_array_equal(seg[:10], _index('sky-other-merged'))   # id 187 -> 119
    np.testing.assert_array_equal(seg[10:28, 4:20], 0)                    # person
    np.testing.assert_array_equal(seg[12:24, 30:46], 0)                   # crowd keeps its class
    np.testing.assert_array_equal(seg[28:], _index('wall-other-merged'))
    assert seg[15, 0] == IGNORE and seg[15, 25] == IGNORE                 # segment id 0
    assert _index('sky-other-merged') == 119 and _index('wall-other-merged') == 131

    ex = self._example('panoptic', 'train', 25)
    seg = ex['segmentation'][..., 0]
    assert seg[5, 5] == 79 and seg[0, 20] == 80 and seg[38, 0] == 132  # toothbrush, banner, rug
    assert seg[25, 20] == IGNORE
    np.testing.assert_array_equal(ex['objects']['label'], [79])  # stuff is no object

  def test_panoptic_things_are_objects(self):
    ex = self._example('panoptic', 'train', 9)
    objects = ex['objects']
    np.testing.assert_array_equal(objects['label'], [0, 0])
    np.testing.assert_array_equal(objects['is_crowd'], [False, True])
    np.testing.assert_allclose(objects['bbox'][0], [10 / 32, 4 / 48, 28 / 32, 20 / 48])
    np.testing.assert_allclose(objects['bbox'][1], [12 / 32, 30 / 48, 24 / 32, 46 / 48])
    inst = ex['instances'][..., 0]
    assert inst[15, 5] == 1 and inst[15, 35] == 2 and inst[5, 5] == 0
    assert (inst > 0).sum() == 18 * 16 + 12 * 16

  def test_detection_categories_boxes_crowd(self):
    ex = self._example('detection', 'train', 9)
    objects = ex['objects']
    assert ex['has_boxes'] and ex['has_instances'] and not ex['has_segmentation']
    # Annotation id order: person, dog (id 18 -> 16), crowd person, person.
    np.testing.assert_array_equal(objects['label'], [0, 16, 0, 0])
    np.testing.assert_array_equal(objects['is_crowd'], [False, False, True, False])
    np.testing.assert_allclose(objects['bbox'][0], [4 / 32, 4 / 48, 28 / 32, 20 / 48])
    np.testing.assert_allclose(objects['bbox'][2], [0, 30 / 48, 8 / 32, 38 / 48])
    ex = self._example('detection', 'train', 25)
    np.testing.assert_array_equal(ex['objects']['label'], [79, 62])  # ids 90, 72
    ex = self._example('detection', 'validation', 139)
    np.testing.assert_array_equal(ex['objects']['label'], [0, 78, 0])  # id 89 -> 78
    assert coco.THING_NAMES[16] == 'dog' and coco.THING_NAMES[62] == 'tv'

  def test_detection_instance_map_rasterised(self):
    inst = self._example('detection', 'train', 9)['instances'][..., 0]
    assert inst[5, 5] == 1                          # person polygon
    assert inst[12, 16] == 2                        # the smaller dog over the person
    assert inst[2, 31] == 3                         # crowd RLE
    assert inst[5, 35] == 4                         # a person over the (smaller) crowd region
    assert inst[30, 2] == 0
    np.testing.assert_array_equal(inst[4:28, 4:14], 1)
    np.testing.assert_array_equal(inst[0:4, 30:34], 3)
    inst = self._example('detection', 'train', 25)['instances'][..., 0]
    assert inst[6, 20] == 2 and inst[30, 20] == 2 and inst[15, 20] == 0  # 2 polygons

  def test_unknown_panoptic_segment_id_names_the_png(self):
    manual = _copy_dummy(self.dummy_data)
    png = manual / 'annotations' / 'panoptic_val2017' / '000000000139.png'
    rgb = np.asarray(Image.open(png)).copy()
    rgb[0, 0] = (1, 2, 3)
    Image.fromarray(rgb).save(png)
    with self.assertRaisesRegex(builders.DatasetFileError, re.escape(str(png))):
      _build('panoptic', manual)

  def test_malformed_json_names_the_file(self):
    manual = _copy_dummy(self.dummy_data)
    path = manual / 'annotations' / 'instances_val2017.json'
    path.write_text(path.read_text()[:100])
    with self.assertRaisesRegex(builders.DatasetFileError, re.escape(str(path))):
      _build('detection', manual)


class CocoKeypointsTest(builder_testing.BuilderTest):
  DATASET_CLASS = coco2017.Coco2017
  BUILDER_CONFIG_NAMES_TO_TEST = ['keypoints']
  # train2017 image 25 has no person: dropped from train.
  SPLITS = {'train': 1, 'validation': 1}

  def test_keypoints_normalised_with_visibility(self):
    (ex,) = self.examples('train', 'keypoints')
    assert ex['image'].shape == (32, 48, 3) and ex['has_keypoints'] and ex['has_boxes']
    objects = ex['objects']
    np.testing.assert_array_equal(objects['label'], [0, 0, 0])
    np.testing.assert_array_equal(objects['is_crowd'], [False, True, False])
    np.testing.assert_allclose(objects['bbox'][0], [4 / 32, 4 / 48, 28 / 32, 20 / 48])
    kp = objects['keypoints']
    assert kp.shape == (3, 17, 3)
    np.testing.assert_allclose(kp[0, 0], [6.5 / 32, 12.5 / 48, 2])   # nose (12, 6), visible
    np.testing.assert_allclose(kp[0, 5], [12.5 / 32, 15.5 / 48, 1])  # left shoulder, occluded
    np.testing.assert_allclose(kp[0, 6], [12.5 / 32, 9.5 / 48, 2])
    np.testing.assert_array_equal(kp[0, 1], [0, 0, 0])               # not labelled
    np.testing.assert_array_equal(kp[1:], 0)                         # crowd, no keypoints
    inst = ex['instances'][..., 0]
    assert inst[5, 5] == 1 and inst[2, 31] == 2 and inst[5, 35] == 3

  def test_validation_keeps_persons_without_keypoints(self):
    (ex,) = self.examples('validation', 'keypoints')
    kp = ex['objects']['keypoints']
    assert kp.shape == (2, 17, 3)
    np.testing.assert_allclose(kp[0, 15], [29.5 / 32, 39.5 / 40, 2])  # left ankle
    np.testing.assert_allclose(kp[0, 2], [4.5 / 32, 15.5 / 40, 1])
    np.testing.assert_array_equal(kp[1], 0)


class CocoDetectionFoiTest(builder_testing.BuilderTest):
  """Detection as the paper's builder: crowd regions are ordinary boxes."""
  DATASET_CLASS = coco2017.Coco2017
  BUILDER_CONFIG_NAMES_TO_TEST = ['detection_foi']
  SPLITS = {'train': 2, 'validation': 1}

  def _example(self, config, split, image_id):
    (ex,) = [ex for ex in self.examples(split, config)
             if ex['image'].shape[:2] == _SIZES[image_id]]
    return ex

  def test_crowd_region_is_an_ordinary_box(self):
    # Annotation 103 of image 9: iscrowd 1, bbox [30, 0, 8, 8] on 48x32.
    crowd_box = [0, 30 / 48, 8 / 32, 38 / 48]
    ours = self._example('detection', 'train', 9)['objects']
    np.testing.assert_array_equal(ours['is_crowd'], [False, False, True, False])
    np.testing.assert_allclose(ours['bbox'][2], crowd_box)
    ex = self._example('detection_foi', 'train', 9)
    objects = ex['objects']
    np.testing.assert_array_equal(objects['is_crowd'], [False, False, False, False])
    np.testing.assert_array_equal(objects['label'], [0, 16, 0, 0])
    np.testing.assert_allclose(objects['bbox'][2], crowd_box)
    np.testing.assert_allclose(objects['bbox'][0], [4 / 32, 4 / 48, 28 / 32, 20 / 48])
    np.testing.assert_allclose(objects['bbox'], ours['bbox'])

  def test_boxes_without_instance_maps(self):
    for split, image_id, labels in (('train', 25, [79, 62]), ('validation', 139, [0, 78, 0])):
      ex = self._example('detection_foi', split, image_id)
      assert ex['has_boxes'] and not ex['has_instances'] and not ex['has_segmentation']
      np.testing.assert_array_equal(ex['instances'], 0)
      np.testing.assert_array_equal(ex['objects']['label'], labels)

  def test_image_without_annotations_has_no_boxes(self):
    manual = _copy_dummy(self.dummy_data)
    path = manual / 'annotations' / 'instances_val2017.json'
    data = json.loads(path.read_text())
    data['annotations'] = []
    path.write_text(json.dumps(data))
    builder = _build('detection_foi', manual)
    (ex,) = tfds.as_numpy(builder.as_dataset(split='validation'))
    assert ex['image'].shape[:2] == _SIZES[139]
    assert not ex['has_boxes'] and ex['objects']['label'].shape == (0,)


_SIZES = {9: (32, 48), 25: (40, 32), 139: (32, 40)}


def _copy_dummy(dummy_data):
  manual = tfds.core.Path(tempfile.mkdtemp()) / 'manual'
  shutil.copytree(dummy_data, manual)
  return manual


def _build(config, manual):
  builder = coco2017.Coco2017(config=config, data_dir=tempfile.mkdtemp())
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual)))
  return builder
