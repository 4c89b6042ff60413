import pathlib
import shutil
import tempfile

import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer.data import catalog
from transfer_datasets.isaid import isaid
from transfer_datasets.isaid import make_dummy_data


# Mask colour -> class id of each config, written out independently of the
# builder's tables; any other colour is 255.
EXPECTED_IDS = {
    'standard': {make_dummy_data.BACKGROUND: 0, make_dummy_data.SHIP: 1,
                 make_dummy_data.SMALL_VEHICLE: 9, make_dummy_data.PLANE: 14,
                 make_dummy_data.HARBOR: 15},
    'foi': {make_dummy_data.SHIP: 0, make_dummy_data.SMALL_VEHICLE: 8,
            make_dummy_data.PLANE: 13, make_dummy_data.HARBOR: 14},
}
# Windows (y0, x0, y1, x1) of each train image; P1527 is skipped.
WINDOWS = {
    'standard': {
        'P0000': [(0, 0, 800, 800), (0, 100, 800, 900), (200, 0, 1000, 800),
                  (200, 100, 1000, 900)],
        'P0001': [(0, 0, 40, 56)],
        'P0002': [(0, 0, 40, 800), (0, 600, 40, 1400), (0, 700, 40, 1500)]},
    'foi': {
        'P0000': [(0, 0, 800, 800), (0, 100, 800, 900), (200, 0, 1000, 800),
                  (200, 100, 1000, 900)],
        'P0001': [(0, 0, 40, 56)],
        'P0002': [(0, 0, 40, 1500)]},  # under 800 px high: kept whole
}


def expected_ids(config, rgb):
  out = np.full(rgb.shape[:2], 255, np.int64)
  for color, i in EXPECTED_IDS[config].items():
    out[np.all(rgb == color, -1)] = i
  return out


def check_train_windows(examples, config):
  """Each train example is exactly one expected window of one image, with
  that window's labels, and every expected window is there once."""
  arrays = make_dummy_data.arrays()
  found = []
  for ex in examples:
    (match,) = [(image_id, window) for image_id, windows in WINDOWS[config].items()
                for window in windows
                if np.array_equal(ex['image'], _crop(arrays['train', image_id][0], window))]
    found.append(match)
    image_id, window = match
    np.testing.assert_array_equal(
        ex['segmentation'][..., 0],
        expected_ids(config, _crop(arrays['train', image_id][1], window)))
  assert sorted(found) == sorted((i, w) for i, ws in WINDOWS[config].items() for w in ws)


def _crop(array, window):
  y0, x0, y1, x1 = window
  return array[y0:y1, x0:x1]


class IsaidTest(builder_testing.BuilderTest):
  DATASET_CLASS = isaid.Isaid
  BUILDER_CONFIG_NAMES_TO_TEST = ['standard']
  # P0000 (1000 x 900) -> 4 tiles, P0001 -> 1, P0002 (40 x 1500) -> 3,
  # P1527 skipped; val P0003 -> 1.
  SPLITS = {'train': 8, 'validation': 1}

  def windows(self):
    """{(y0, x0): example} of P0000's tiles. The dummy image's colour encodes
    the 100-px block, and the windows start on block edges: R = 20 * (y0 //
    100) + 1, G = 25 * (x0 // 100)."""
    out = {}
    for ex in self.examples('train'):
      if ex['image'].shape[:2] == (800, 800):
        red, green = int(ex['image'][0, 0, 0]), int(ex['image'][0, 0, 1])
        out[(red - 1) // 20 * 100, green // 25 * 100] = ex
    return out

  def test_tiles_of_a_large_image(self):
    image, _ = make_dummy_data.arrays()['train', 'P0000']
    windows = self.windows()
    assert sorted(windows) == [(0, 0), (0, 100), (200, 0), (200, 100)]
    for (y0, x0), ex in windows.items():
      np.testing.assert_array_equal(ex['image'], image[y0:y0 + 800, x0:x0 + 800])

  def test_tile_labels(self):
    tiles = {yx: ex['segmentation'][..., 0] for yx, ex in self.windows().items()}
    # Plane (class 14) at rows 100:300, cols 50:250 of the image.
    np.testing.assert_array_equal(tiles[0, 0][100:300, 50:250], 14)
    np.testing.assert_array_equal(tiles[0, 100][100:300, 0:150], 14)
    np.testing.assert_array_equal(tiles[200, 0][0:100, 50:250], 14)
    # Harbor (15) at rows 700:1000, cols 600:900; small vehicle (9) at 850:870, 10:30.
    np.testing.assert_array_equal(tiles[200, 100][500:800, 500:800], 15)
    np.testing.assert_array_equal(tiles[200, 0][650:670, 10:30], 9)
    # Background is class 0; the colour outside the table is ignored.
    assert tiles[0, 0][0, 0] == 0 and tiles[200, 100][400, 100] == 0
    np.testing.assert_array_equal(tiles[0, 100][0:10, 790:800], 255)
    assert (tiles[0, 100] == 255).sum() == 100
    assert (tiles[0, 0] == 255).sum() == 0

  def test_small_and_grey_images_are_one_tile(self):
    small = [ex for ex in self.examples('train') if ex['image'].shape[:2] == (40, 56)]
    assert len(small) == 1
    seg = small[0]['segmentation'][..., 0]
    np.testing.assert_array_equal(seg[:20, :28], 1)  # ship
    assert (seg == 1).sum() == 20 * 28 and (seg == 0).sum() == 40 * 56 - 20 * 28
    (val,) = self.examples('validation')
    grey, _ = make_dummy_data.arrays()['val', 'P0003']
    np.testing.assert_array_equal(val['image'], np.repeat(grey[..., None], 3, -1))
    np.testing.assert_array_equal(val['segmentation'][24:, 32:, 0], 9)
    np.testing.assert_array_equal(val['segmentation'][:24, :, 0], 0)
    assert val['has_segmentation'] and not val['has_depth'] and not val['has_boxes']

  def test_a_low_image_is_tiled_along_its_width(self):
    check_train_windows(self.examples('train'), 'standard')


class IsaidFoiTest(builder_testing.BuilderTest):
  """The paper's definition: background and unmatched colours ignored, the
  15 classes one lower; an image under 800 px on a side kept whole."""
  DATASET_CLASS = isaid.Isaid
  BUILDER_CONFIG_NAMES_TO_TEST = ['foi']
  # P0000 -> 4 tiles, P0001 and P0002 whole, P1527 skipped; val P0003 whole.
  SPLITS = {'train': 6, 'validation': 1}

  def test_windows_and_labels(self):
    check_train_windows(self.examples('train', 'foi'), 'foi')

  def test_background_ignored_and_classes_shift(self):
    low = [ex for ex in self.examples('train', 'foi') if ex['image'].shape[:2] == (40, 1500)]
    (seg,) = [ex['segmentation'][..., 0] for ex in low]
    np.testing.assert_array_equal(seg[20:40, 0:100], 13)     # plane
    np.testing.assert_array_equal(seg[0:20, 650:750], 0)     # ship
    np.testing.assert_array_equal(seg[30:40, 1400:1500], 255)  # colour outside the table
    assert (seg == 255).sum() == 40 * 1500 - 20 * 100 - 20 * 100  # background too
    (val,) = self.examples('validation', 'foi')
    np.testing.assert_array_equal(val['segmentation'][24:, 32:, 0], 8)    # small vehicle
    np.testing.assert_array_equal(val['segmentation'][:24, :, 0], 255)
    names = catalog.get('isaid_foi').class_names
    assert len(names) == 15 and (names[0], names[8], names[13]) == (
        'ship', 'Small_Vehicle', 'plane')


def _build(manual_dir):
  builder = isaid.Isaid(data_dir=tempfile.mkdtemp())
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))
  return builder


def _copy_dummy():
  tmp = pathlib.Path(tempfile.mkdtemp()) / 'manual'
  shutil.copytree(IsaidTest.dummy_data, tmp)
  # Keep the builds quick: drop the large image.
  for path in tmp.glob('train/**/P0000*.png'):
    path.unlink()
  return tmp


def test_mask_of_the_wrong_size_names_the_file():
  tmp = _copy_dummy()
  mask = tmp / 'val/Semantic_masks/images/P0003_instance_color_RGB.png'
  Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(mask)
  with pytest.raises(builders.DatasetFileError, match='P0003_instance_color_RGB.png'):
    _build(tmp)


def test_missing_mask_names_the_file():
  tmp = _copy_dummy()
  (tmp / 'train/Semantic_masks/images/P0001_instance_color_RGB.png').unlink()
  with pytest.raises(builders.DatasetFileError, match='P0001_instance_color_RGB.png'):
    _build(tmp)


def test_devkit_layout_with_masks_beside_the_images():
  tmp = _copy_dummy()
  for mask in list(tmp.glob('*/Semantic_masks/images/*.png')):
    mask.rename(mask.parent.parent.parent / 'images' / mask.name)
  builder = _build(tmp)
  ds = tfds.as_numpy(builder.as_dataset(split='validation'))
  (ex,) = list(ds)
  np.testing.assert_array_equal(ex['segmentation'][24:, 32:, 0], 9)
