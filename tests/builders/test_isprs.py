import io
import pathlib
import tempfile
import zipfile

import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer_datasets.isprs import isprs
from transfer_datasets.isprs import make_dummy_data as dummy

# Colour -> class id, written out independently of the builder's table.
EXPECTED_IDS = {
    (255, 255, 255): 0, (0, 0, 255): 1, (0, 255, 255): 2, (0, 255, 0): 3,
    (255, 255, 0): 4, (255, 0, 0): 5,
    dummy.NEAR_GREEN: 3, dummy.NEAR_YELLOW: 4,  # artefact colours
}


def expected_ids(rgb):
  out = np.full(rgb.shape[:2], 255, np.int64)
  for color, i in EXPECTED_IDS.items():
    out[np.all(rgb == color, -1)] = i
  return out


# Window starts of the two large dummy tiles (800 x 800, 200 overlap).
WINDOWS = {'2_10': [(0, 0), (0, 100), (200, 0), (200, 100)],   # 1000 x 900
           'area1': [(0, 0), (0, 200), (50, 0), (50, 200)]}    # 850 x 1000


class IsprsTest(builder_testing.BuilderTest):
  DATASET_CLASS = isprs.Isprs
  BUILDER_CONFIG_NAMES_TO_TEST = ['potsdam', 'vaihingen']
  SPLITS = {'train': 4, 'validation': 1}

  def check_large_tile(self, config, tile):
    image, labels = dummy.arrays()[config, tile]
    expected = {(y0, x0): (image[y0:y0 + 800, x0:x0 + 800],
                           labels[y0:y0 + 800, x0:x0 + 800])
                for y0, x0 in WINDOWS[tile]}
    found = {}
    for ex in self.examples('train', config):
      assert ex['image'].shape == (800, 800, 3) and ex['has_segmentation']
      (window,) = [w for w, (crop, _) in expected.items()
                   if np.array_equal(ex['image'], crop)]
      found[window] = ex['segmentation'][..., 0]
      np.testing.assert_array_equal(found[window], expected_ids(expected[window][1]))
    assert sorted(found) == WINDOWS[tile]
    return found

  def test_potsdam_tiles(self):
    seg = self.check_large_tile('potsdam', '2_10')
    top_left, top_right = seg[0, 0], seg[0, 100]
    np.testing.assert_array_equal(top_left[0:400, 0:300], 1)      # building
    np.testing.assert_array_equal(top_left[400:500], 2)           # low vegetation
    np.testing.assert_array_equal(top_right[0:100, 700:800], 5)   # clutter
    assert top_left[450, 0] == 2 and top_left[300, 400] == 0      # impervious
    bottom_left = seg[200, 0]
    np.testing.assert_array_equal(bottom_left[500:550, 100:200], 4)  # car
    np.testing.assert_array_equal(bottom_left[300:700, 500:800], 3)  # tree
    # Artefact colours snap to the near class; grey and black are ignored.
    np.testing.assert_array_equal(bottom_left[400:410, 0:10], 3)
    np.testing.assert_array_equal(bottom_left[410:430, 0:10], 255)
    np.testing.assert_array_equal(bottom_left[430:440, 0:10], 4)
    assert (bottom_left == 255).sum() == 200

  def test_vaihingen_tiles_use_the_top_images(self):
    # The same file name under gts_for_participants/ is a label image: the
    # image check in check_large_tile fails if the builder read that one.
    self.check_large_tile('vaihingen', 'area1')

  def test_validation_tiles(self):
    for config, tile in (('potsdam', '2_13'), ('vaihingen', 'area2')):
      (ex,) = self.examples('validation', config)
      image, _ = dummy.arrays()[config, tile]
      np.testing.assert_array_equal(ex['image'], image)
      seg = ex['segmentation'][..., 0]
      half = image.shape[1] // 2
      np.testing.assert_array_equal(seg[:, :half], 4)   # car
      np.testing.assert_array_equal(seg[:, half:], 5)   # clutter


def _potsdam_copy(replace_label=None):
  """A copy of the Potsdam manual dir, the training tile's label member
  replaced by `replace_label` if given (so the build fails at once)."""
  tmp = pathlib.Path(tempfile.mkdtemp())
  (tmp / 'Potsdam').mkdir()
  src = pathlib.Path(IsprsTest.dummy_data) / 'Potsdam'
  for name in ('2_Ortho_RGB.zip', '5_Labels_all.zip'):
    with zipfile.ZipFile(src / name) as zin, zipfile.ZipFile(tmp / 'Potsdam' / name, 'w') as zout:
      for member in zin.namelist():
        data = zin.read(member)
        if member == 'top_potsdam_2_10_label.tif' and replace_label is not None:
          data = replace_label
        zout.writestr(member, data)
  return tmp


def _build(config, manual_dir):
  builder = isprs.Isprs(config=config, data_dir=tempfile.mkdtemp())
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))
  return builder


def test_unreadable_label_names_the_file():
  tmp = _potsdam_copy(replace_label=b'not a tiff')
  with pytest.raises(builders.DatasetFileError, match=r'5_Labels_all\.zip:top_potsdam_2_10_label\.tif'):
    _build('potsdam', tmp)


def test_label_of_the_wrong_size_names_the_file():
  out = io.BytesIO()
  Image.fromarray(np.full((10, 10, 3), 255, np.uint8)).save(out, format='TIFF')
  tmp = _potsdam_copy(replace_label=out.getvalue())
  with pytest.raises(builders.DatasetFileError, match='top_potsdam_2_10_label.tif: is 10x10'):
    _build('potsdam', tmp)


def test_missing_archive_names_it():
  tmp = _potsdam_copy()
  (tmp / 'Potsdam' / '5_Labels_all.zip').unlink()
  with pytest.raises(builders.DatasetFileError, match='5_Labels_all.zip'):
    _build('potsdam', tmp)


def test_extracted_folders_work_too():
  tmp = pathlib.Path(tempfile.mkdtemp())
  src = pathlib.Path(IsprsTest.dummy_data) / 'Vaihingen'
  for archive in src.glob('*.zip'):
    with zipfile.ZipFile(archive) as z:
      z.extractall(tmp / 'Vaihingen' / archive.stem)
  builder = _build('vaihingen', tmp)
  (ex,) = list(tfds.as_numpy(builder.as_dataset(split='validation')))
  np.testing.assert_array_equal(ex['image'], dummy.arrays()['vaihingen', 'area2'][0])
  assert builder.info.splits['train'].num_examples == 4
