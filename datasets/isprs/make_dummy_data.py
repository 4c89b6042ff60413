"""Writes dummy_data/: tiny ISPRS Potsdam and Vaihingen archives in the real
layout and formats (the zips as downloaded; inside, uncompressed 8-bit RGB
TIFFs as PIL writes them, colour-coded label TIFFs, Potsdam's .tfw world
files, Vaihingen's `top/` images beside `gts_for_participants/` labels of the
same file names).

  Potsdam/2_Ortho_RGB.zip    2_Ortho_RGB/top_potsdam_{2_10,2_13}_RGB.{tif,tfw}
  Potsdam/5_Labels_all.zip   top_potsdam_{2_10,2_13}_label.tif
  Vaihingen/ISPRS_semantic_labeling_Vaihingen.zip
                             top/top_mosaic_09cm_area{1,2}.tif,
                             gts_for_participants/top_mosaic_09cm_area1.tif
  Vaihingen/ISPRS_semantic_labeling_Vaihingen_ground_truth_COMPLETE.zip
                             top_mosaic_09cm_area{1,2}.tif

Tiles 2_10 (1000 x 900) and area1 (850 x 1000) are training tiles larger
than one 800 x 800 window (4 windows each; flat 100-px blocks so the zips
stay small); 2_13 and area2 are small validation tiles (one window). The foi
config reads all four: Potsdam's two to train, Vaihingen's two to validate.

  python datasets/isprs/make_dummy_data.py
"""

import io
import pathlib
import zipfile

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).parent / 'dummy_data'

WHITE, BLUE, CYAN = (255, 255, 255), (0, 0, 255), (0, 255, 255)
GREEN, YELLOW, RED = (0, 255, 0), (255, 255, 0), (255, 0, 0)
NEAR_GREEN = (10, 250, 5)       # an artefact colour -> tree
NEAR_YELLOW = (250, 240, 30)    # -> car
OFF_GREEN = (0, 254, 0)         # off by one: tree within the tolerance, ignored in foi
GREY = (128, 128, 128)          # no class -> ignore
BLACK = (0, 0, 0)               # eroded-boundary colour -> ignore


def image(height: int, width: int, seed: int) -> np.ndarray:
  """RGB blocks of 100 x 100 whose colour encodes the block's position:
  channel 0 = 20 * (row // 100) + seed, channel 1 = 25 * (col // 100),
  channel 2 = 10 * (row // 100) + 9 * seed (so that the foi config's
  pseudo-RGB, which drops Vaihingen's channel 0, still tells rows apart)."""
  rows = np.arange(height)[:, None] // 100
  cols = np.arange(width)[None, :] // 100
  out = np.zeros((height, width, 3), np.uint8)
  out[..., 0] = rows * 20 + seed
  out[..., 1] = cols * 25
  out[..., 2] = rows * 10 + 9 * seed
  return out


def large_labels(height: int, width: int) -> np.ndarray:
  labels = np.zeros((height, width, 3), np.uint8)
  labels[:] = WHITE                   # impervious surfaces (0)
  labels[0:400, 0:300] = BLUE         # building (1)
  labels[400:500] = CYAN              # low vegetation (2)
  labels[500:, 500:] = GREEN          # tree (3)
  labels[700:750, 100:200] = YELLOW   # car (4)
  labels[0:100, width - 100:] = RED   # clutter (5)
  labels[600:610, 0:10] = NEAR_GREEN
  labels[610:620, 0:10] = GREY
  labels[620:630, 0:10] = BLACK
  labels[630:640, 0:10] = NEAR_YELLOW
  labels[640:650, 0:10] = OFF_GREEN
  return labels


def small_labels(height: int, width: int) -> np.ndarray:
  labels = np.zeros((height, width, 3), np.uint8)
  labels[:] = RED
  labels[:, : width // 2] = YELLOW
  return labels


def arrays() -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
  """{(config, tile id): (image, labels)}."""
  return {
      ('potsdam', '2_10'): (image(1000, 900, 1), large_labels(1000, 900)),
      ('potsdam', '2_13'): (image(48, 64, 2), small_labels(48, 64)),
      ('vaihingen', 'area1'): (image(850, 1000, 3), large_labels(850, 1000)),
      ('vaihingen', 'area2'): (image(40, 56, 4), small_labels(40, 56)),
  }


def _tiff(array: np.ndarray) -> bytes:
  out = io.BytesIO()
  Image.fromarray(array).save(out, format='TIFF')  # uncompressed, as the originals
  return out.getvalue()


def _zip(path: pathlib.Path, members: dict[str, bytes]):
  path.parent.mkdir(parents=True, exist_ok=True)
  with zipfile.ZipFile(path, 'w') as z:
    for name, data in members.items():
      info = zipfile.ZipInfo(name, date_time=(2016, 1, 1, 0, 0, 0))
      info.compress_type = zipfile.ZIP_DEFLATED
      z.writestr(info, data, compresslevel=9)


def _tfw(x0: float) -> bytes:
  """An ESRI world file (pixel size, rotation, origin), as beside each tile."""
  return f'0.05\n0.0\n0.0\n-0.05\n{x0:.3f}\n5808000.000\n'.encode()


def main():
  a = arrays()
  _zip(ROOT / 'Potsdam' / '2_Ortho_RGB.zip', {
      f'2_Ortho_RGB/top_potsdam_{tile}_{kind}': data
      for tile in ('2_10', '2_13')
      for kind, data in (('RGB.tif', _tiff(a['potsdam', tile][0])),
                         ('RGB.tfw', _tfw(366000.0)))})
  _zip(ROOT / 'Potsdam' / '5_Labels_all.zip', {
      f'top_potsdam_{tile}_label.tif': _tiff(a['potsdam', tile][1])
      for tile in ('2_10', '2_13')})
  _zip(ROOT / 'Vaihingen' / 'ISPRS_semantic_labeling_Vaihingen.zip', {
      'top/top_mosaic_09cm_area1.tif': _tiff(a['vaihingen', 'area1'][0]),
      'top/top_mosaic_09cm_area2.tif': _tiff(a['vaihingen', 'area2'][0]),
      # The training labels handed to participants: same name as the image.
      'gts_for_participants/top_mosaic_09cm_area1.tif': _tiff(a['vaihingen', 'area1'][1]),
  })
  _zip(ROOT / 'Vaihingen' / 'ISPRS_semantic_labeling_Vaihingen_ground_truth_COMPLETE.zip', {
      f'top_mosaic_09cm_{tile}.tif': _tiff(a['vaihingen', tile][1])
      for tile in ('area1', 'area2')})


if __name__ == '__main__':
  main()
