import dataclasses
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
    dummy.NEAR_GREEN: 3, dummy.NEAR_YELLOW: 4, dummy.OFF_GREEN: 3,  # artefact colours
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
    np.testing.assert_array_equal(bottom_left[440:450, 0:10], 3)  # off by one: tree
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


# --- foi: the paper's definition (factors_of_influence/fids/isprs.py) ---

# Exact colours only, the paper's classes 1..5 less one; its background
# (clutter's red) and every other colour -> 255.
FOI_IDS = {(255, 255, 255): 0, (0, 0, 255): 1, (0, 255, 255): 2, (0, 255, 0): 3,
           (255, 255, 0): 4}
# The cities' channels: Potsdam RGB, Vaihingen IR-R-G.
RED_GREEN = {'potsdam': (0, 1), 'vaihingen': (1, 2)}
# Which dummy tiles each foi split holds (2_13 is a benchmark validation tile,
# area1 a benchmark training tile).
FOI_SPLITS = {'train': ('potsdam', ('2_10', '2_13')),
              'validation': ('vaihingen', ('area1', 'area2'))}


def expected_foi_ids(rgb):
  out = np.full(rgb.shape[:2], 255, np.int64)
  for color, i in FOI_IDS.items():
    out[np.all(rgb == color, -1)] = i
  return out


def expected_pseudo_rgb(image, city):
  red, green = (image[..., c].astype(np.int64) for c in RED_GREEN[city])
  # The paper: float32 0.5 * (R + G) cast back to uint8, i.e. rounded down.
  return np.stack([red, green, np.floor(0.5 * (red + green))], -1)


def foi_expected(split, windows):
  """{(tile, y0, x0, y1, x1): (image, class ids)} of a foi split, from the
  dummy arrays and `windows` {tile: [(y0, x0, y1, x1)]}."""
  city, tiles = FOI_SPLITS[split]
  out = {}
  for tile in tiles:
    image, labels = dummy.arrays()[city, tile]
    for y0, x0, y1, x1 in windows[tile]:
      out[tile, y0, x0, y1, x1] = (expected_pseudo_rgb(image[y0:y1, x0:x1], city),
                                   expected_foi_ids(labels[y0:y1, x0:x1]))
  return out


def match(examples, expected):
  """{window: (image, class ids)} of the examples, each found by both among
  `expected`; every window must be found exactly once."""
  found = {}
  for ex in examples:
    image, seg = ex['image'], ex['segmentation'][..., 0]
    (window,) = [w for w, (want_image, want_ids) in expected.items()
                 if image.shape == want_image.shape and np.array_equal(image, want_image)
                 and np.array_equal(seg, want_ids)]
    assert window not in found
    found[window] = image, seg
  assert sorted(found) == sorted(expected)
  return found


def _windows(starts, size):
  return {tile: [(y, x, y + size, x + size) for y, x in s] for tile, s in starts.items()}


# 800 x 800 windows of the large tiles as in the per-city configs; the small
# ones whole.
FOI_WINDOWS = {**_windows(WINDOWS, 800),
               '2_13': [(0, 0, 48, 64)], 'area2': [(0, 0, 40, 56)]}


class IsprsFoiTest(builder_testing.BuilderTest):
  DATASET_CLASS = isprs.Isprs
  BUILDER_CONFIG_NAMES_TO_TEST = ['foi']
  SPLITS = {'train': 5, 'validation': 5}  # both tiles of a city: 4 windows + 1

  def test_splits_images_and_labels(self):
    found = {split: match(self.examples(split, 'foi'), foi_expected(split, FOI_WINDOWS))
             for split in FOI_SPLITS}
    train, validation = found['train'], found['validation']
    # Pixel (150, 250) is in block (1, 2) of the dummies (make_dummy_data.image):
    # 2_10's R, G = 20 + 1, 50 -> (21, 50, 35); area1's IR, R, G = 20 + 3, 50,
    # 10 + 27 -> (50, 37, 43); the means of odd sums rounded down.
    assert tuple(train['2_10', 0, 0, 800, 800][0][150, 250]) == (21, 50, 35)
    assert tuple(validation['area1', 0, 0, 800, 800][0][150, 250]) == (50, 37, 43)
    top_left = train['2_10', 0, 0, 800, 800][1]
    top_right = train['2_10', 0, 100, 800, 900][1]
    bottom_left = train['2_10', 200, 0, 1000, 800][1]
    np.testing.assert_array_equal(top_left[0:400, 0:300], 1)        # building
    np.testing.assert_array_equal(top_left[400:500], 2)             # low vegetation
    assert top_left[300, 400] == 0                                  # impervious
    np.testing.assert_array_equal(top_right[0:100, 700:800], 255)   # clutter
    np.testing.assert_array_equal(bottom_left[500:550, 100:200], 4)  # car
    np.testing.assert_array_equal(bottom_left[300:700, 500:800], 3)  # tree
    # Not exactly a class colour: ignored (matched in the per-city configs).
    np.testing.assert_array_equal(bottom_left[400:410, 0:10], 255)  # near green
    np.testing.assert_array_equal(bottom_left[430:440, 0:10], 255)  # near yellow
    np.testing.assert_array_equal(bottom_left[440:450, 0:10], 255)  # off by one
    assert (bottom_left == 255).sum() == 500  # those three, grey and black
    for split, tile in (('train', '2_13'), ('validation', 'area2')):
      (small,) = [seg for window, (_, seg) in found[split].items() if window[0] == tile]
      half = small.shape[1] // 2
      np.testing.assert_array_equal(small[:, :half], 4)    # car
      np.testing.assert_array_equal(small[:, half:], 255)  # clutter


def foi_windows(*shape_size_overlap):
  return builders.tiles(*shape_size_overlap, whole_if_smaller=True)


def test_foi_windows_follow_the_papers_create_patches():
  # create_patches' docstring: a width of 1500 gives [0-800, 600-1400, 700-1500].
  assert [x0 for _, x0, _, _ in foi_windows(800, 1500, 800, 200)] == [0, 600, 700]
  # 1300: its starts 0, 600, 1200 -> 0, 500, 500 (the same window, one file).
  assert foi_windows(1300, 800, 800, 200) == [(0, 0, 800, 800), (500, 0, 1300, 800)]
  # A Potsdam tile: starts 0, 600, ..., 4800 and 5400 moved back to 5200.
  starts = [0, 600, 1200, 1800, 2400, 3000, 3600, 4200, 4800, 5200]
  assert foi_windows(6000, 6000, 800, 200) == [
      (y, x, y + 800, x + 800) for y in starts for x in starts]
  # Smaller than a window on either side: kept whole (builders.tiles would
  # cut the long side into three).
  assert foi_windows(500, 2000, 800, 200) == [(0, 0, 500, 2000)]
  assert foi_windows(800, 800, 800, 200) == [(0, 0, 800, 800)]


class IsprsFoi860(isprs.Isprs, skip_registration=True):
  """foi with 860-px windows 100 px apart: the dummy 2_10 (1000 x 900) gets
  three rows of windows, and area1 (850 x 1000) is lower than one."""
  BUILDER_CONFIGS = [dataclasses.replace(isprs.Isprs.builder_configs['foi'], name='foi_860',
                                         tile_size=860, tile_overlap=760)]
  CATALOG_NAMES = {'foi_860': 'isprs_foi'}


def test_foi_tile_positions_where_overlap_and_size_matter():
  builder = _build('foi_860', IsprsTest.dummy_data, IsprsFoi860)
  windows = {**_windows({'2_10': [(y, x) for y in (0, 100, 140) for x in (0, 40)]}, 860),
             '2_13': [(0, 0, 48, 64)],
             'area1': [(0, 0, 850, 1000)],  # whole (builders.tiles: x = 0, 100, 140)
             'area2': [(0, 0, 40, 56)]}
  for split in FOI_SPLITS:
    examples = list(tfds.as_numpy(builder.as_dataset(split=split)))
    match(examples, foi_expected(split, windows))


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


def _build(config, manual_dir, builder_class=isprs.Isprs):
  builder = builder_class(config=config, data_dir=tempfile.mkdtemp())
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
