import json
import shutil
import tempfile

import numpy as np
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer_datasets.idd import idd

IGNORE = 255
VAL_JSON = 'IDD_Segmentation/gtFine/val/119/035471_gtFine_polygons.json'


class IddTest(builder_testing.BuilderTest):
  DATASET_CLASS = idd.Idd
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
