import json
import shutil
import tempfile

import numpy as np
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer.data import catalog
from transfer_datasets.idd import idd

IGNORE = 255
VAL_JSON = 'IDD_Segmentation/gtFine/val/119/035471_gtFine_polygons.json'

# IDD's 40 labels by `id` 0..39 (AutoNUE helpers/anue_labels.py; MSeg's idd-40).
IDD_40 = (
    'road', 'parking', 'drivable fallback', 'sidewalk', 'rail track',
    'non-drivable fallback', 'person', 'animal', 'rider', 'motorcycle', 'bicycle',
    'autorickshaw', 'car', 'truck', 'bus', 'caravan', 'trailer', 'train',
    'vehicle fallback', 'curb', 'wall', 'fence', 'guard rail', 'billboard',
    'traffic sign', 'traffic light', 'pole', 'polegroup', 'obs-str-bar-fallback',
    'building', 'bridge', 'tunnel', 'vegetation', 'sky', 'fallback background',
    'unlabeled', 'ego vehicle', 'rectification border', 'out of roi', 'license plate')
# The paper's IDD classes (factors_of_influence fids_metadata_segmentation.py,
# fids_idd): paper class p is our class p - 1, its 'background' ignored.
FOI_CLASSES = (
    'background', 'road', 'parking', 'drivable fallback', 'sidewalk',
    'rail track', 'non-drivable fallback', 'person', 'animal', 'rider',
    'motorcycle', 'bicycle', 'autorickshaw', 'car', 'truck', 'bus',
    'caravan', 'trailer', 'vehicle fallback', 'curb', 'wall', 'fence',
    'guard rail', 'billboard', 'traffic sign', 'traffic light', 'pole',
    'polegroup', 'obs-str-bar-fallback', 'building', 'bridge', 'tunnel',
    'vegetation', 'sky', 'fallback background')


def foi_class(name: str) -> int:
  return FOI_CLASSES.index(name) - 1 if name in FOI_CLASSES else IGNORE


class IddTest(builder_testing.BuilderTest):
  DATASET_CLASS = idd.Idd
  BUILDER_CONFIG_NAMES_TO_TEST = ['level3']
  SPLITS = {'train': 2, 'validation': 1}  # test frames have no polygons

  def test_polygons_drawn_in_file_order_as_level3_ids(self):
    examples = self.examples('train')
    marks = sorted(int(np.flatnonzero(ex['segmentation'][0, :, 0] == 18)[0]) for ex in examples)
    assert marks == [0, 1]  # the two-point traffic sign
    for ex in examples:
      seg = ex['segmentation'][..., 0].copy()
      assert ex['has_segmentation'] and ex['image'].shape == (16, 24, 3)
      seg[0][seg[0] == 18] = 25
      np.testing.assert_array_equal(seg[0:6], 25)                # sky; the deleted bus is not drawn
      np.testing.assert_array_equal(seg[6:8], 22)                # building
      np.testing.assert_array_equal(seg[8:10, 2:8], 9)           # car drawn over building
      np.testing.assert_array_equal(seg[10, :2], 0)              # road
      np.testing.assert_array_equal(seg[11:13, 4:6], IGNORE)     # licence plate voids the car
      np.testing.assert_array_equal(seg[11:14, 18:22], 9)        # cargroup -> car
      np.testing.assert_array_equal(seg[13:15, 12:16], 1)        # parking -> drivable fallback
      np.testing.assert_array_equal(seg[15], IGNORE)             # ego vehicle

  def test_unlabelled_pixels_are_ignored_and_animal_is_class_4(self):
    (ex,) = self.examples('validation')
    seg = ex['segmentation'][..., 0]
    np.testing.assert_array_equal(seg[1:4, 1:5], 4)
    assert seg[3, 11] == 24 and seg[0, 0] == 25   # vegetation triangle inside the sky
    np.testing.assert_array_equal(seg[8:], IGNORE)

  def test_train_is_vehicle_fallback(self):
    for ex in self.examples('train'):
      np.testing.assert_array_equal(ex['segmentation'][8:10, 16:20, 0], 12)


class IddFoiTest(builder_testing.BuilderTest):
  """The paper's definition: idd-40 without its 6 background labels, as MSeg draws it."""
  DATASET_CLASS = idd.Idd
  BUILDER_CONFIG_NAMES_TO_TEST = ['foi']
  SPLITS = {'train': 2, 'validation': 1}

  def test_train_frames(self):
    expected = np.full((16, 24), IGNORE)
    expected[0:6] = foi_class('sky')             # the two-point traffic sign is not drawn
    expected[6:10] = foi_class('building')
    expected[10:16] = foi_class('road')
    expected[8:13, 2:8] = foi_class('car')
    expected[8:10, 16:20] = foi_class('train')   # background: ignored
    expected[11:13, 4:6] = foi_class('license plate')
    expected[11:14, 18:22] = foi_class('car')    # cargroup
    expected[13:16, 12:16] = foi_class('parking')
    expected[15] = foi_class('ego vehicle')
    assert (foi_class('sky'), foi_class('car'), foi_class('parking')) == (32, 12, 1)
    for ex in self.examples('train', 'foi'):
      np.testing.assert_array_equal(ex['segmentation'][..., 0], expected)

  def test_validation_frame(self):
    (ex,) = self.examples('validation', 'foi')
    seg = ex['segmentation'][..., 0]
    np.testing.assert_array_equal(seg[1:4, 1:5], foi_class('animal'))  # its own class: 7
    assert seg[3, 11] == foi_class('vegetation') and seg[0, 0] == foi_class('sky')
    np.testing.assert_array_equal(seg[8:], IGNORE)


def test_foi_draws_each_label_in_its_papers_class(tmp_path):
  # Label i over columns 2i, 2i + 1 of a 3 x 80 image, one polygon each.
  objects = [{'label': name, 'polygon': [[2 * i, 0], [2 * i + 1, 0], [2 * i + 1, 2], [2 * i, 2]]}
             for i, name in enumerate(IDD_40)]
  text = json.dumps({'imgHeight': 3, 'imgWidth': 80, 'objects': objects})
  seg = idd.Idd(config='foi', data_dir=str(tmp_path)).rasterise(tmp_path / 'x.json', text)
  for i, name in enumerate(IDD_40):
    np.testing.assert_array_equal(seg[:, 2 * i:2 * i + 2], foi_class(name), err_msg=name)
  assert {name for name in IDD_40 if foi_class(name) == IGNORE} == {
      'unlabeled', 'out of roi', 'train', 'ego vehicle', 'rectification border',
      'license plate'}
  assert catalog.get('idd_foi').class_names == FOI_CLASSES[1:]
  assert len(FOI_CLASSES[1:]) == 34


def _build_with_val_json(tmp_path, text):
  shutil.copytree(IddTest.dummy_data, tmp_path, dirs_exist_ok=True)
  (tmp_path / VAL_JSON).write_text(text)
  builder = idd.Idd(data_dir=tempfile.mkdtemp())
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(tmp_path)))


def test_bad_json_names_the_file(tmp_path):
  with pytest.raises(builders.DatasetFileError, match=f'{VAL_JSON}: is not an IDD polygons file'):
    _build_with_val_json(tmp_path, '{"imgHeight": 16, "objects": [')


def test_unknown_label_names_the_file(tmp_path):
  text = json.dumps({'imgHeight': 16, 'imgWidth': 24, 'objects': [
      {'label': 'spaceship', 'polygon': [[0, 0], [3, 0], [3, 3]]}]})
  with pytest.raises(builders.DatasetFileError, match=f"{VAL_JSON}: object 0 has the unknown label 'spaceship'"):
    _build_with_val_json(tmp_path, text)


def test_size_mismatch_names_the_file(tmp_path):
  text = json.dumps({'imgHeight': 15, 'imgWidth': 24, 'objects': []})
  with pytest.raises(builders.DatasetFileError, match=f'{VAL_JSON}: is for a 15x24 image'):
    _build_with_val_json(tmp_path, text)
