import shutil

import numpy as np
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer_datasets.nyu_depth_v2 import make_dummy_data as dummy
from transfer_datasets.nyu_depth_v2 import nyu_depth_v2_labeled as nyu

# make_dummy_data: mapClass sends raw class k to NYU40 class 1 + (7 k mod 40).
RAW_1, RAW_894 = 7, (7 * 894) % 40  # door, mirror


class NyuDepthV2LabeledTest(builder_testing.BuilderTest):
  DATASET_CLASS = nyu.NyuDepthV2Labeled
  SPLITS = {'train': 2, 'validation': 1}

  def test_split_follows_one_based_indices(self):
    depths = {split: sorted(round(float(ex['depth'][5, 0, 0]), 4)
                            for ex in self.examples(split)) for split in self.SPLITS}
    # Frame f has depth 1 + f / 4 in column 0: train = frames 1, 3; test = 2.
    assert depths == {'train': [1.25, 1.75], 'validation': [1.5]}

  def test_depth_in_metres_with_missing_pixel_invalid(self):
    for ex in self.examples('validation'):  # frame 2
      depth = ex['depth'][..., 0]
      assert ex['has_depth'] and depth.shape == (12, 16) and depth.dtype == np.float32
      assert depth[0, 0] == 0
      np.testing.assert_allclose(depth[1:], np.broadcast_to(1.5 + np.arange(16) / 100, (11, 16)),
                                 rtol=1e-6)
      assert ex['image'].shape == (12, 16, 3)

  def test_raw_labels_mapped_to_nyu40(self):
    for split in self.SPLITS:
      for ex in self.examples(split):
        seg = ex['segmentation'][..., 0]
        frame = _frame_number(ex)
        assert ex['has_segmentation'] and seg.shape == (12, 16)
        np.testing.assert_array_equal(seg[:4], 255)          # unlabelled
        np.testing.assert_array_equal(seg[4:8], RAW_1)
        np.testing.assert_array_equal(seg[8:, :8], RAW_894)
        np.testing.assert_array_equal(seg[8:, 8:], (7 * (40 + frame)) % 40)

  def test_frames_equal_the_dummy_data_pixel_for_pixel(self):
    # Image, depth and labels come out [H, W], untransposed, unscrambled.
    numbers = []
    for ex in self.examples('train') + self.examples('validation'):
      numbers.append(_frame_number(ex))
      image, depth, raw = dummy.frame(numbers[-1])
      np.testing.assert_array_equal(ex['image'], image)
      np.testing.assert_array_equal(ex['depth'][..., 0], depth)
      np.testing.assert_array_equal(ex['segmentation'][..., 0],
                                    np.where(raw == 0, 255, (7 * raw) % 40))
    assert sorted(numbers) == [1, 2, 3]


def _frame_number(ex) -> int:
  """make_dummy_data: frame f has depth 1 + f / 4 in column 0."""
  return int(round((float(ex['depth'][5, 0, 0]) - 1) * 4))


def _copy(tmp_path):
  manual = tmp_path / 'manual'
  shutil.copytree(NyuDepthV2LabeledTest.dummy_data, manual)
  return manual


def _build(manual, tmp_path):
  builder = nyu.NyuDepthV2Labeled(data_dir=str(tmp_path / 'data'))
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual)))


def test_corrupt_mapping_names_the_file(tmp_path):
  manual = _copy(tmp_path)
  (manual / 'classMapping40.mat').write_bytes(b'MATLAB 5.0 MAT-file, garbage')
  with pytest.raises(builders.DatasetFileError, match='classMapping40.mat'):
    _build(manual, tmp_path)


def test_mapping_outside_40_classes_names_the_file(tmp_path):
  from scipy import io as scipy_io  # pylint: disable=g-import-not-at-top
  manual = _copy(tmp_path)
  scipy_io.savemat(manual / 'classMapping40.mat', {'mapClass': np.full((1, 894), 41.)})
  with pytest.raises(builders.DatasetFileError, match='classMapping40.mat.*1..40'):
    _build(manual, tmp_path)


def test_missing_mapping_names_the_file(tmp_path):
  manual = _copy(tmp_path)
  (manual / 'classMapping40.mat').unlink()
  with pytest.raises(builders.DatasetFileError, match='classMapping40.mat: not found'):
    _build(manual, tmp_path)


def test_mat_not_hdf5_names_the_file(tmp_path):
  manual = _copy(tmp_path)
  (manual / 'nyu_depth_v2_labeled.mat').write_bytes(b'MATLAB 5.0 MAT-file' + b'\0' * 600)
  with pytest.raises(builders.DatasetFileError, match='nyu_depth_v2_labeled.mat.*HDF5'):
    _build(manual, tmp_path)
