import pathlib
import shutil
import tempfile

import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer_datasets.isaid import isaid
from transfer_datasets.isaid import make_dummy_data


class IsaidTest(builder_testing.BuilderTest):
  DATASET_CLASS = isaid.Isaid
  # P0000 (1000 x 900) -> 4 tiles, P0001 -> 1, P1527 skipped; val P0003 -> 1.
  SPLITS = {'train': 5, 'validation': 1}

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
