import shutil

import numpy as np
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer_datasets.sun_rgbd import sun_rgbd

# make_dummy_data: frame n (1-based, SUNRGBDMeta order) is labelled
# 10 + n below row 6; kv1 (n=1, 24x32) and realsense (n=3, 26x34) are train,
# kv2 (n=2, 26x36) is test.
SHAPES = {'train': {(24, 32): 1, (26, 34): 3}, 'validation': {(26, 36): 2}}


class SunRgbdTest(builder_testing.BuilderTest):
  DATASET_CLASS = sun_rgbd.SunRgbd
  BUILDER_CONFIG_NAMES_TO_TEST = ['standard']
  SPLITS = {'train': 2, 'validation': 1}

  def test_37_class_labels_shift_by_one(self):
    for split, shapes in SHAPES.items():
      found = set()
      for ex in self.examples(split):
        seg = ex['segmentation'][..., 0]
        found.add(seg.shape)
        assert ex['has_segmentation'] and ex['image'].shape[:2] == seg.shape
        np.testing.assert_array_equal(seg[:2], 255)   # unlabelled
        np.testing.assert_array_equal(seg[2:4], 0)    # wall
        np.testing.assert_array_equal(seg[4:6], 36)   # bag
        np.testing.assert_array_equal(seg[6:], 9 + shapes[seg.shape])
      assert found == set(shapes)

  def test_depth_bits_rotated_to_metres_within_valid_range(self):
    for split in self.SPLITS:
      for ex in self.examples(split):
        depth = ex['depth'][..., 0]
        assert ex['has_depth'] and depth.dtype == np.float32
        np.testing.assert_allclose(depth[:, 0:4], 1.0)
        np.testing.assert_array_equal(depth[:, 4:8], 0)    # 0.3 m: too near
        np.testing.assert_array_equal(depth[:, 8:12], 0)   # 9 m: too far
        np.testing.assert_array_equal(depth[:, 12:16], 0)  # missing
        np.testing.assert_allclose(depth[:, 16:20], 8.0)
        rows = depth.shape[0]
        np.testing.assert_allclose(depth[:, 20], (369 + np.arange(rows)) / 1000, rtol=1e-6)


class SunRgbdFoiTest(builder_testing.BuilderTest):
  """The paper's definition: MSeg's lists choose the frames (the dummy
  train.txt names only alltrain's 2nd frame, realsense n=3; val.txt the
  test frame), labels as ours, depth clipped to 0.369-8 m."""
  DATASET_CLASS = sun_rgbd.SunRgbd
  BUILDER_CONFIG_NAMES_TO_TEST = ['foi']
  SPLITS = {'train': 1, 'validation': 1}

  def test_mseg_lists_choose_the_frames(self):
    for split, shape, number in (('train', (26, 34), 3), ('validation', (26, 36), 2)):
      (ex,) = self.examples(split, 'foi')
      seg = ex['segmentation'][..., 0]
      assert seg.shape == shape
      np.testing.assert_array_equal(seg[:2], 255)   # unlabelled: the paper's background
      np.testing.assert_array_equal(seg[2:4], 0)    # wall
      np.testing.assert_array_equal(seg[4:6], 36)   # bag
      np.testing.assert_array_equal(seg[6:], 9 + number)

  def test_depth_clipped_to_paper_range_and_missing_stays_invalid(self):
    for split in self.SPLITS:
      (ex,) = self.examples(split, 'foi')
      depth = ex['depth'][..., 0]
      assert ex['has_depth'] and depth.dtype == np.float32
      np.testing.assert_allclose(depth[:, 0:4], 1.0)
      np.testing.assert_allclose(depth[:, 4:8], 0.369)   # 0.3 m: raised to the minimum
      np.testing.assert_allclose(depth[:, 8:12], 8.0)    # 9 m: np.minimum(d, 8)
      np.testing.assert_array_equal(depth[:, 12:16], 0)  # missing: invalid, not 0.369
      np.testing.assert_allclose(depth[:, 16:20], 8.0)
      rows = depth.shape[0]
      np.testing.assert_allclose(depth[:, 20], (369 + np.arange(rows)) / 1000, rtol=1e-6)


def test_decode_depth_foi_clips_and_keeps_zero():
  # Stored values rotated left by 3: 100 mm, 65535 mm (saturated), 0, 5 m.
  mm = np.array([100, 65535, 0, 5000], np.uint32)
  v = (((mm << 3) | (mm >> 13)) & 0xFFFF).astype(np.uint16)
  np.testing.assert_allclose(sun_rgbd.decode_depth_foi(v), [0.369, 8.0, 0, 5.0], rtol=1e-6)


def test_frame_folder_normalises_author_paths():
  assert sun_rgbd.frame_folder('/n/fs/sun3d/data/SUNRGBD/kv1/NYUdata/NYU0001//image/NYU0001.jpg') \
      == 'kv1/NYUdata/NYU0001/image/NYU0001.jpg'
  assert sun_rgbd.frame_folder('/n/fs/sun3d/data/SUNRGBD/realsense/lg/x/') == 'realsense/lg/x'
  assert sun_rgbd.frame_folder('SUNRGBD/kv2/a') == 'kv2/a'


def test_decode_depth_matches_toolbox():
  # read3dPoints.m: bitor(bitshift(v, -3), bitshift(v, 16 - 3)) / 1000.
  v = np.array([1000 << 3, (9000 << 3) & 0xFFFF | (9000 >> 13), 0], np.uint16)
  np.testing.assert_allclose(sun_rgbd.decode_depth(v), [1.0, 0, 0])


def _copy(tmp_path):
  manual = tmp_path / 'manual'
  shutil.copytree(SunRgbdTest.dummy_data, manual)
  return manual


def _build(manual, tmp_path, config='standard'):
  builder = sun_rgbd.SunRgbd(config=config, data_dir=str(tmp_path / 'data'))
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual)))


def test_corrupt_depth_names_the_file(tmp_path):
  manual = _copy(tmp_path)
  bad = manual / 'SUNRGBD' / 'kv1' / 'NYUdata' / 'NYU0001' / 'depth_bfx' / 'NYU0001.png'
  bad.write_bytes(b'not a png')
  with pytest.raises(builders.DatasetFileError, match='depth_bfx/NYU0001.png'):
    _build(manual, tmp_path)


def test_seg_mat_not_hdf5_names_the_file(tmp_path):
  manual = _copy(tmp_path)
  (manual / 'SUNRGBDtoolbox' / 'Metadata' / 'SUNRGBD2Dseg.mat').write_bytes(b'\0' * 1024)
  with pytest.raises(builders.DatasetFileError, match='SUNRGBD2Dseg.mat.*HDF5'):
    _build(manual, tmp_path)


def test_missing_split_names_the_file(tmp_path):
  manual = _copy(tmp_path)
  (manual / 'SUNRGBDtoolbox' / 'traintestSUNRGBD' / 'allsplit.mat').unlink()
  with pytest.raises(builders.DatasetFileError, match='allsplit.mat: not found'):
    _build(manual, tmp_path)


def test_mseg_list_beyond_the_split_names_the_file(tmp_path):
  manual = _copy(tmp_path)
  (manual / 'sunrgbd-37' / 'list' / 'val.txt').write_text(
      'image/test/img-000002.jpg semseg-label37/test/00000002.png\n')
  with pytest.raises(builders.DatasetFileError, match='val.txt: line 1 names image 2.*1 test'):
    _build(manual, tmp_path, 'foi')


def test_missing_mseg_list_names_the_file(tmp_path):
  manual = _copy(tmp_path)
  (manual / 'sunrgbd-37' / 'list' / 'train.txt').unlink()
  with pytest.raises(builders.DatasetFileError, match='sunrgbd-37/list/train.txt: not found'):
    _build(manual, tmp_path, 'foi')
