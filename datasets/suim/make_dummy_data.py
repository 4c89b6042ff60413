"""Writes dummy_data/: a tiny SUIM release in the real layout and format
(`train_val/` and `TEST/`, each `images/<id>.jpg` RGB JPEGs and
`masks/<id>.bmp` 24-bit RGB BMPs whose channels are 0 / 255 or near them:
the 3-bit code R,G,B is the class, in places with noise around the 128
threshold as in the real masks).

Every mask is 8 vertical bands of 4 columns, band k coded as class k: the
top NOISY_ROWS rows noisy (no channel exactly 0 or 255), the rows below
exact colours except the OFF_BY_ONE pixels. `f_r_829_` (train) has a mask
4 rows and 8 columns larger than its image, as some real training masks do.

  python datasets/suim/make_dummy_data.py
"""

import pathlib

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).parent / 'dummy_data'
HEIGHT, WIDTH = 24, 32
NOISY_ROWS = 12
# (row, first column, last column + 1) -> colour one off an exact class
# colour (bands 1 and 7 at rows 20, 21).
OFF_BY_ONE = {(20, 4, 8): (1, 0, 255), (21, 28, 32): (255, 254, 255)}

# (folder, id, extra mask rows, extra mask columns)
FILES = (('train_val', 'd_r_122_', 0, 0), ('train_val', 'f_r_829_', 4, 8),
         ('train_val', 'n_l_12_', 0, 0), ('TEST', 'd_r_47_', 0, 0),
         ('TEST', 'w_r_147_', 0, 0))


def bands_mask(height: int, width: int, rng) -> np.ndarray:
  """8 bands of 4 columns, band k = class k, as RGB bits (see above)."""
  cls = np.minimum(np.arange(width) // 4, 7)[None, :].repeat(height, 0)
  bits = np.stack([(cls >> 2) & 1, (cls >> 1) & 1, cls & 1], -1)
  on = rng.integers(128, 255, bits.shape)   # 128..254 reads as 1
  off = rng.integers(1, 128, bits.shape)    # 1..127 reads as 0
  rgb = np.where(bits == 1, on, off)
  rgb[0, :4] = 127        # band 0 at the threshold: still class 0
  rgb[0, 28:32] = 128     # band 7 at the threshold: still class 7
  rgb[NOISY_ROWS:] = bits[NOISY_ROWS:] * 255
  for (row, start, stop), color in OFF_BY_ONE.items():
    rgb[row, start:stop] = color
  return rgb.astype(np.uint8)


def main():
  rng = np.random.default_rng(0)
  for folder, name, extra_h, extra_w in FILES:
    image = rng.integers(0, 256, (HEIGHT, WIDTH, 3), np.uint8)
    mask = bands_mask(HEIGHT + extra_h, WIDTH + extra_w, rng)
    for sub, array, ext in (('images', image, 'jpg'), ('masks', mask, 'bmp')):
      path = ROOT / folder / sub / f'{name}.{ext}'
      path.parent.mkdir(parents=True, exist_ok=True)
      Image.fromarray(array, 'RGB').save(path)


if __name__ == '__main__':
  main()
