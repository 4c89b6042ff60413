import shutil

import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer.data import catalog
from transfer_datasets.suim import make_dummy_data
from transfer_datasets.suim import suim

# make_dummy_data: 8 bands of 4 columns, band k = class k; rows 0..11 noisy
# (no channel exactly 0 or 255), rows 12.. exact colours but for two runs of
# pixels one off (band 1 at row 20, columns 4..7; band 7 at row 21, 28..31).
BANDS = np.repeat(np.arange(8), 4)


def foi_expected() -> np.ndarray:
  """The paper's ids of every dummy mask (24 x 32 after the crop)."""
  out = np.broadcast_to(np.where(BANDS == 0, 255, BANDS - 1), (24, 32)).copy()
  out[:12] = 255         # noisy colours
  out[20, 4:8] = 255     # (1, 0, 255)
  out[21, 28:32] = 255   # (255, 254, 255)
  return out


def ids_in(examples, folder):
  """The ids of `examples` among the dummy images of `folder`, found by
  their decoded pixels."""
  images = {path.stem: np.asarray(Image.open(path).convert('RGB'))
            for path in (SuimTest.dummy_data / folder / 'images').glob('*.jpg')}
  return sorted(name for ex in examples for name, image in images.items()
                if np.array_equal(ex['image'], image))


class SuimTest(builder_testing.BuilderTest):
  DATASET_CLASS = suim.Suim
  BUILDER_CONFIG_NAMES_TO_TEST = ['standard']
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

  def test_off_by_one_colours_are_thresholded(self):
    # Guards the positions written out in foi_expected too.
    assert make_dummy_data.OFF_BY_ONE == {(20, 4, 8): (1, 0, 255),
                                          (21, 28, 32): (255, 254, 255)}
    for ex in self.examples('validation'):
      seg = ex['segmentation'][..., 0]
      np.testing.assert_array_equal(seg[20, 4:8], 1)    # human divers
      np.testing.assert_array_equal(seg[21, 28:32], 7)  # sea-floor and rocks


class SuimFoiTest(builder_testing.BuilderTest):
  """The paper's definition: exact colours, waterbody and other colours
  ignored, HD..SR as 0..6; the same folders as splits."""
  DATASET_CLASS = suim.Suim
  BUILDER_CONFIG_NAMES_TO_TEST = ['foi']
  SPLITS = {'train': 3, 'validation': 2}

  def test_exact_colours_only_and_waterbody_ignored(self):
    # Covers train's f_r_829_, whose 28x40 mask is cropped to its 24x32 image.
    for split in self.SPLITS:
      for ex in self.examples(split, 'foi'):
        seg = ex['segmentation'][..., 0]
        assert seg.shape == (24, 32) and ex['has_segmentation']
        np.testing.assert_array_equal(seg, foi_expected())
    names = catalog.get('suim_foi').class_names
    assert len(names) == 7 and (names[0], names[6]) == ('HD: Human divers',
                                                       'SR: Sand/sea-floor (& rocks)')

  def test_colour_table(self):
    rgb = np.array([[[0, 0, 0], [0, 0, 255], [255, 0, 0], [255, 255, 255], [0, 0, 254],
                     [128, 128, 128]]], np.uint8)
    np.testing.assert_array_equal(suim.foi_mask_to_ids(rgb, 255), [[255, 0, 3, 6, 255, 255]])

  def test_split_membership(self):
    for split, folder, ids in (('train', 'train_val', ['d_r_122_', 'f_r_829_', 'n_l_12_']),
                               ('validation', 'TEST', ['d_r_47_', 'w_r_147_'])):
      for config in ('standard', 'foi'):
        assert ids_in(self.examples(split, config), folder) == ids


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
