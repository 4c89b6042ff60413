import shutil

from etils import epath
import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer_datasets.virtual_kitti_2 import virtual_kitti2 as vkitti2

# make_dummy_data: 15 bands of 3 columns, band k = k-th category of
# colors.txt, band 14 Undefined.
BANDS = np.repeat(np.append(np.arange(14), 255), 3)


class VirtualKitti2Test(builder_testing.BuilderTest):
  DATASET_CLASS = vkitti2.VirtualKitti2
  BUILDER_CONFIG_NAMES_TO_TEST = ['standard']
  # 4 scenes x 10 variations + Scene01/clone's second frame; Scene18 x 10.
  # Camera_1 is not read.
  SPLITS = {'train': 41, 'validation': 10}

  def test_colours_mapped_to_class_ids(self):
    for split in self.SPLITS:
      for ex in self.examples(split):
        seg = ex['segmentation'][..., 0]
        assert ex['has_segmentation'] and seg.shape == (12, 45)
        np.testing.assert_array_equal(seg, np.broadcast_to(BANDS, seg.shape))

  def test_depth_centimetres_to_metres_within_valid_range(self):
    offsets = set()
    for ex in self.examples('validation'):
      depth = ex['depth'][..., 0]
      assert ex['has_depth'] and depth.dtype == np.float32
      np.testing.assert_array_equal(depth[0], 0)     # sky, 655.35 m
      np.testing.assert_array_equal(depth[1], 0)     # 0.5 m: too near (and one raw 0)
      np.testing.assert_allclose(depth[2], 0.94)
      np.testing.assert_allclose(depth[3], 80.0)
      np.testing.assert_array_equal(depth[4], 0)     # 80.01 m: too far
      offsets.add(round(float(depth[6, 0]), 2))
    # Rows 5+ are 100 * (1 + variation index) cm: all ten variations present.
    assert offsets == {float(v) for v in range(1, 11)}

  def test_scene18_only_in_validation(self):
    # Images are flat, red channel 40 * scene index + 20 (Scene18 has index 3).
    reds = {split: {int(round(ex['image'][..., 0].mean() / 10)) * 10
                    for ex in self.examples(split)} for split in self.SPLITS}
    assert reds == {'train': {20, 60, 100, 180}, 'validation': {140}}


class VirtualKitti2FoiTest(builder_testing.BuilderTest):
  """The paper's definition: the same frames and classes, depth clipped to
  0.94-80 m with the sky at 80 m; a raw 0 stays invalid."""
  DATASET_CLASS = vkitti2.VirtualKitti2
  BUILDER_CONFIG_NAMES_TO_TEST = ['foi']
  SPLITS = {'train': 41, 'validation': 10}

  def test_depth_clipped_sky_at_80_m(self):
    offsets = set()
    for ex in self.examples('validation', 'foi'):
      np.testing.assert_array_equal(ex['segmentation'][..., 0],
                                    np.broadcast_to(BANDS, (12, 45)))
      depth = ex['depth'][..., 0]
      assert ex['has_depth'] and depth.dtype == np.float32
      np.testing.assert_allclose(depth[0], 80.0)     # sky, 655.35 m: the clip's maximum
      assert depth[1, 0] == 0                        # raw 0: invalid, not 0.94
      np.testing.assert_allclose(depth[1, 1:], 0.94)  # 0.5 m: raised to the minimum
      np.testing.assert_allclose(depth[2], 0.94)
      np.testing.assert_allclose(depth[3], 80.0)
      np.testing.assert_allclose(depth[4], 80.0)     # 80.01 m
      offsets.add(round(float(depth[6, 0]), 2))
    assert offsets == {float(v) for v in range(1, 11)}


def test_decode_depth_foi():
  raw = np.array([0, 1, 94, 1234, 8000, 8001, 65535], np.uint16)
  np.testing.assert_allclose(vkitti2.decode_depth_foi(raw),
                             [0, 0.94, 0.94, 12.34, 80, 80, 80], rtol=1e-6)


def test_built_in_colours_used_without_colors_txt(tmp_path):
  builder = vkitti2.VirtualKitti2(data_dir=str(tmp_path / 'data'))
  with_file = builder.colors(epath.Path(VirtualKitti2Test.dummy_data) / 'Scene01' / 'clone')
  without = builder.colors(epath.Path(tmp_path))
  assert with_file == without
  assert without[(0, 0, 0)] == 255 and without[(255, 127, 80)] == 12  # Car


def _copy(tmp_path):
  manual = tmp_path / 'manual'
  shutil.copytree(VirtualKitti2Test.dummy_data, manual)
  return manual


def _build(manual, tmp_path):
  builder = vkitti2.VirtualKitti2(data_dir=str(tmp_path / 'data'))
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual)))


def test_unknown_colour_names_the_file(tmp_path):
  manual = _copy(tmp_path)
  bad = manual / 'Scene02' / 'fog' / 'frames' / 'classSegmentation' / 'Camera_0' / 'classgt_00000.png'
  seg = np.array(Image.open(bad))
  seg[5, 7] = (1, 2, 3)
  Image.fromarray(seg).save(bad)
  with pytest.raises(builders.DatasetFileError,
                     match=r'Scene02/fog/.*classgt_00000.png.*\(1, 2, 3\) at \(5, 7\)'):
    _build(manual, tmp_path)


def test_changed_colors_txt_names_the_file(tmp_path):
  manual = _copy(tmp_path)
  path = manual / 'Scene06' / 'rain' / 'colors.txt'
  path.write_text(path.read_text().replace('Car 255 127 80', 'Car 1 2 3'))
  with pytest.raises(builders.DatasetFileError, match="Scene06/rain/colors.txt.*'Car'"):
    _build(manual, tmp_path)


def test_missing_variation_names_the_folder(tmp_path):
  manual = _copy(tmp_path)
  shutil.rmtree(manual / 'Scene20' / 'sunset')
  with pytest.raises(builders.DatasetFileError, match='Scene20/sunset: not found'):
    _build(manual, tmp_path)
