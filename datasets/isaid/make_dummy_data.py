"""Writes dummy_data/: a tiny iSAID tree in the real layout and formats.

  <split>/images/P####.png                                 DOTA image (RGB; one
                                                           grey, which the
                                                           builder also takes)
  <split>/Semantic_masks/images/P####_instance_color_RGB.png  RGB mask, one
                                                           devkit colour per class

P0000 (1000 x 900, flat blocks so the PNGs stay small) is larger than one
800 x 800 tile: it gives 4 tiles. P0002 (40 x 1500) is under 800 px high:
3 tiles along its width in `standard`, one whole example in `foi`. P1527
has no mask (the builder skips it).

  python datasets/isaid/make_dummy_data.py
"""

import pathlib

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).parent / 'dummy_data'

# Devkit colours used below (class id in the comment).
BACKGROUND = (0, 0, 0)          # 0
SMALL_VEHICLE = (0, 0, 127)     # 9
PLANE = (0, 127, 255)           # 14
HARBOR = (0, 100, 155)          # 15
SHIP = (0, 0, 63)               # 1
UNKNOWN = (255, 0, 255)         # not in the table -> ignore


def image(height: int, width: int, seed: int) -> np.ndarray:
  """RGB blocks of 100 x 100 whose colour encodes the block's position."""
  rows = np.arange(height)[:, None] // 100
  cols = np.arange(width)[None, :] // 100
  out = np.zeros((height, width, 3), np.uint8)
  out[..., 0] = rows * 20 + seed
  out[..., 1] = cols * 25 % 256
  out[..., 2] = 7 * seed
  return out


def arrays() -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray | None]]:
  """{(split folder, image id): (image [H, W, 3] or [H, W], mask or None)}."""
  out = {}
  # A large image: 4 tiles of 800 x 800 at rows (0, 200) x columns (0, 100).
  mask = np.zeros((1000, 900, 3), np.uint8)
  mask[100:300, 50:250] = PLANE
  mask[700:1000, 600:900] = HARBOR
  mask[850:870, 10:30] = SMALL_VEHICLE
  mask[0:10, 890:900] = UNKNOWN
  out['train', 'P0000'] = image(1000, 900, 1), mask
  # A small image: one tile, the whole image.
  mask = np.zeros((40, 56, 3), np.uint8)
  mask[:20, :28] = SHIP
  out['train', 'P0001'] = image(40, 56, 2), mask
  # Low and wide: tiled along its width (windows at x 0, 600, 700), or whole (foi).
  mask = np.zeros((40, 1500, 3), np.uint8)
  mask[20:40, 0:100] = PLANE
  mask[0:20, 650:750] = SHIP
  mask[30:40, 1400:1500] = UNKNOWN
  out['train', 'P0002'] = image(40, 1500, 4), mask
  # Skipped by the devkit (and here): no mask needed.
  out['train', 'P1527'] = image(24, 24, 3), None
  # A grey image in val.
  mask = np.zeros((48, 64, 3), np.uint8)
  mask[24:, 32:] = SMALL_VEHICLE
  grey = np.tile((np.arange(64, dtype=np.uint8) * 3)[None, :], (48, 1))
  out['val', 'P0003'] = grey, mask
  return out


def main():
  for (split, image_id), (pixels, mask) in arrays().items():
    path = ROOT / split / 'images' / f'{image_id}.png'
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, optimize=True)
    if mask is not None:
      path = ROOT / split / 'Semantic_masks' / 'images' / f'{image_id}_instance_color_RGB.png'
      path.parent.mkdir(parents=True, exist_ok=True)
      Image.fromarray(mask).save(path, optimize=True)


if __name__ == '__main__':
  main()
