import shutil

import numpy as np
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer_datasets.suim import suim

# make_dummy_data: 8 bands of 4 columns, band k = class k.
BANDS = np.repeat(np.arange(8), 4)


class SuimTest(builder_testing.BuilderTest):
  DATASET_CLASS = suim.Suim
  SPLITS = {'train': 3, 'validation': 2}

  def test_rgb_bits_thresholded_to_class_ids(self):
    # Covers train's f_r_829_, whose 28x40 mask is cropped to its 24x32 image.
    for split in self.SPLITS:
      for ex in self.examples(split):
        seg = ex['segmentation'][..., 0]
        assert ex['has_segmentation'] and not ex['has_depth'] and not ex['has_boxes']
        assert seg.shape == (24, 32) and ex['image'].shape == (24, 32, 3)
        np.testing.assert_array_equal(seg, np.broadcast_to(BANDS, seg.shape))

  def test_threshold_matches_official_code(self):
    rgb = np.array([[[127, 128, 0], [255, 0, 128], [128, 128, 128]]], np.uint8)
    np.testing.assert_array_equal(suim.mask_to_ids(rgb), [[2, 5, 7]])


def _build(manual_dir, tmp_path):
  builder = suim.Suim(data_dir=str(tmp_path / 'data'))
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))


def test_malformed_mask_names_the_file(tmp_path):
  manual = tmp_path / 'manual'
  shutil.copytree(SuimTest.dummy_data, manual)
  bad = manual / 'TEST' / 'masks' / 'd_r_47_.bmp'
  bad.write_bytes(b'not a bitmap')
  with pytest.raises(builders.DatasetFileError, match='d_r_47_.bmp'):
    _build(manual, tmp_path)


def test_mask_smaller_than_image_names_the_file(tmp_path):
  manual = tmp_path / 'manual'
  shutil.copytree(SuimTest.dummy_data, manual)
  from PIL import Image  # pylint: disable=g-import-not-at-top
  small = manual / 'train_val' / 'masks' / 'n_l_12_.bmp'
  Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(small)
  with pytest.raises(builders.DatasetFileError, match='n_l_12_.bmp.*smaller'):
    _build(manual, tmp_path)


def test_missing_mask_names_the_file(tmp_path):
  manual = tmp_path / 'manual'
  shutil.copytree(SuimTest.dummy_data, manual)
  (manual / 'train_val' / 'masks' / 'd_r_122_.bmp').unlink()
  with pytest.raises(builders.DatasetFileError, match='d_r_122_.bmp: not found'):
    _build(manual, tmp_path)
