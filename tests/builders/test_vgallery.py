import shutil

import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer_datasets.vgallery import vgallery

# make_dummy_data: columns of 3 pixels per class 0..8, then black and an
# unknown colour (both void = 255).
EXPECTED_ROW = np.concatenate([np.repeat(np.arange(9), 3), np.full(5, 255)])
TEST_FRAME = ('testing', 'gallery_light2_occlusion1', 'frames')


class VgalleryTest(builder_testing.BuilderTest):
  DATASET_CLASS = vgallery.Vgallery
  BUILDER_CONFIG_NAMES_TO_TEST = ['standard']
  SPLITS = {'train': 2, 'validation': 1}

  def test_colours_to_class_ids_and_void(self):
    for split in self.SPLITS:
      for ex in self.examples(split):
        seg = ex['segmentation'][..., 0]
        assert ex['has_segmentation'] and ex['has_depth'] and not ex['has_boxes']
        assert seg.shape == (18, 32) and ex['image'].shape == (18, 32, 3)
        np.testing.assert_array_equal(seg, np.broadcast_to(EXPECTED_ROW, seg.shape))

  def test_depth_in_metres_and_invalid_values_zero(self):
    for ex in self.examples('train'):
      depth = ex['depth'][..., 0]
      expected = np.repeat(np.arange(1, 19, dtype=np.float32)[:, None], 32, 1)  # row r: r+1 m
      expected[0, 0] = expected[0, 1] = 0  # raw 0 and 65535 (saturated): invalid
      expected[0, 2] = 0.1                 # 10 cm: no clip
      np.testing.assert_allclose(depth, expected, rtol=1e-6)


class VgalleryFoiTest(builder_testing.BuilderTest):
  """The paper's definition: the same frames and class ids, depth clipped to
  0.21-14.89 m, 65535 at 14.89 m, 0 invalid."""
  DATASET_CLASS = vgallery.Vgallery
  BUILDER_CONFIG_NAMES_TO_TEST = ['foi']
  SPLITS = {'train': 2, 'validation': 1}

  def test_same_class_ids_and_depth_clipped(self):
    for split in self.SPLITS:
      for ex in self.examples(split, 'foi'):
        seg = ex['segmentation'][..., 0]
        np.testing.assert_array_equal(seg, np.broadcast_to(EXPECTED_ROW, seg.shape))
        depth = ex['depth'][..., 0]
        # Row r: r + 1 m, at most 14.89 m (rows 14-17 are 15-18 m).
        expected = np.repeat(np.minimum(np.arange(1, 19, dtype=np.float32), 14.89)[:, None],
                             32, 1)
        expected[0, 0] = 0       # raw 0: invalid, not 0.21
        expected[0, 1] = 14.89   # 65535 (655.35 m): the clip's maximum, valid
        expected[0, 2] = 0.21    # 10 cm: raised to the minimum
        np.testing.assert_allclose(depth, expected, rtol=1e-6)


def _copy(tmp_path):
  manual = tmp_path / 'manual'
  shutil.copytree(VgalleryTest.dummy_data, manual)
  return manual


def _build(manual, tmp_path):
  builder = vgallery.Vgallery(data_dir=str(tmp_path / 'data'))
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual)))


def test_8bit_depth_names_the_file(tmp_path):
  manual = _copy(tmp_path)
  bad = manual.joinpath(*TEST_FRAME, 'depth', 'camera_0', 'depth_00007.png')
  Image.fromarray(np.ones((18, 32), np.uint8)).save(bad)
  with pytest.raises(builders.DatasetFileError, match='depth_00007.png.*16-bit'):
    _build(manual, tmp_path)


def test_class_map_of_wrong_size_names_the_file(tmp_path):
  manual = _copy(tmp_path)
  bad = manual.joinpath(*TEST_FRAME, 'classsegmentation', 'camera_0', 'classgt_00007.png')
  Image.fromarray(np.zeros((9, 16, 3), np.uint8)).save(bad)
  with pytest.raises(builders.DatasetFileError, match='classgt_00007.png: is 9x16'):
    _build(manual, tmp_path)


def test_missing_class_map_names_the_file(tmp_path):
  manual = _copy(tmp_path)
  manual.joinpath(*TEST_FRAME, 'classsegmentation', 'camera_0', 'classgt_00007.png').unlink()
  with pytest.raises(builders.DatasetFileError, match='classgt_00007.png: not found'):
    _build(manual, tmp_path)
