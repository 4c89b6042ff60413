import shutil

import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer_datasets.scannet import scannet_frames


class ScannetFramesTest(builder_testing.BuilderTest):
  DATASET_CLASS = scannet_frames.ScannetFrames
  SPLITS = {'train': 2, 'validation': 1}

  def test_nyu40_ids_shift_by_one_and_unannotated_is_ignored(self):
    classes = set()
    for split in self.SPLITS:
      for ex in self.examples(split):
        seg = ex['segmentation'][..., 0]
        assert ex['has_segmentation'] and not ex['has_depth']
        assert seg.shape == (18, 24)
        np.testing.assert_array_equal(seg[:6], 255)
        np.testing.assert_array_equal(seg[6:12], 0)       # wall
        np.testing.assert_array_equal(seg[12:, :12], 39)  # otherprop
        classes.add(int(seg[15, 20]))
    # Class 5 + frame / 100: frames 000000 (both scenes) and 000100.
    assert classes == {4, 5}

  def test_colour_image_resized_to_label_grid(self):
    for split, right in (('train', (30, 30, 200)), ('validation', (30, 200, 30))):
      for ex in self.examples(split):
        image = ex['image'].astype(int)
        assert image.shape == (18, 24, 3)
        np.testing.assert_allclose(image[9, 4], (200, 30, 30), atol=12)  # red half
        np.testing.assert_allclose(image[9, 19], right, atol=12)


def _copy(tmp_path):
  manual = tmp_path / 'manual'
  shutil.copytree(ScannetFramesTest.dummy_data, manual)
  return manual


def _build(manual, tmp_path):
  builder = scannet_frames.ScannetFrames(data_dir=str(tmp_path / 'data'))
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual)))


def test_raw_scannet_ids_name_the_file(tmp_path):
  manual = _copy(tmp_path)
  bad = manual / 'scannet_frames_25k' / 'scene0568_00' / 'label' / '000000.png'
  Image.fromarray(np.full((18, 24), 1163, np.uint16)).save(bad)
  with pytest.raises(builders.DatasetFileError, match='000000.png.*1163 > 40'):
    _build(manual, tmp_path)


def test_corrupt_label_names_the_file(tmp_path):
  manual = _copy(tmp_path)
  bad = manual / 'scannet_frames_25k' / 'scene0191_00' / 'label' / '000100.png'
  bad.write_bytes(b'not a png')
  with pytest.raises(builders.DatasetFileError, match='scene0191_00/label/000100.png'):
    _build(manual, tmp_path)


def test_missing_scene_names_the_folder(tmp_path):
  manual = _copy(tmp_path)
  shutil.rmtree(manual / 'scannet_frames_25k' / 'scene0568_00')
  with pytest.raises(builders.DatasetFileError, match='scene0568_00/color: not found'):
    _build(manual, tmp_path)
