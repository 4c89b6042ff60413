"""Writes dummy_data/: a tiny ADEChallengeData2016 tree in the real format
(RGB JPEGs; 8-bit grey PNG labels, 0 = other, 1..150 = classes).
Labels of image i (1-based in its folder): rows 0-11 wall (1), rows 12-23
flag (150) in columns 0-15, i + 2 in columns 16-23, other (0) in 24-31.

  python datasets/ade20k/make_dummy_data.py
"""

import pathlib

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).parent / 'dummy_data' / 'ADEChallengeData2016'


def main():
  rng = np.random.default_rng(0)
  for folder, prefix, count in (('training', 'ADE_train', 2), ('validation', 'ADE_val', 1)):
    for i in range(1, count + 1):
      name = f'{prefix}_{i:08d}'
      image = rng.integers(0, 256, (24, 32, 3), np.uint8)
      labels = np.zeros((24, 32), np.uint8)  # "other" everywhere but:
      labels[:12] = 1         # wall (class 0)
      labels[12:, :16] = 150  # flag (class 149)
      labels[12:, 16:24] = i + 2
      for sub, array, ext in (('images', image, 'jpg'), ('annotations', labels, 'png')):
        path = ROOT / sub / folder / f'{name}.{ext}'
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(array).save(path)


if __name__ == '__main__':
  main()
