"""Writes dummy_data/: a tiny Virtual Gallery release in the real layout
and format: `{training,testing}/<sequence>/frames/` with
`rgb/camera_<c>/rgb_<n>.jpg` (RGB JPEG), `classsegmentation/camera_<c>/
classgt_<n>.png` (RGB PNG, one colour per class, black = background) and
`depth/camera_<c>/depth_<n>.png` (16-bit grey PNG, centimetres).

Frames are 18x32 (the real ones are larger). Class maps: 10 columns of 3
pixels per class in id order (wall .. human), then black (void) and one
colour not in the class list (void); depth: row r is 100 * (r + 1) cm,
except 0 at [0, 0], 65535 (saturated) at [0, 1] and 10 (below the
paper's clip) at [0, 2].

  python datasets/vgallery/make_dummy_data.py
"""

import pathlib

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).parent / 'dummy_data'
HEIGHT, WIDTH = 18, 32
CLASS_COLORS = ((255, 127, 80), (255, 248, 220), (0, 255, 255), (189, 183, 107),
                (230, 230, 250), (233, 150, 122), (80, 80, 80), (128, 0, 0),
                (0, 255, 0))
UNKNOWN = (12, 34, 56)

# (split folder, sequence, camera, frame number)
FRAMES = (('training', 'gallery_light1_loop1', 'camera_0', 0),
          ('training', 'gallery_light6_loop5', 'camera_4', 220),
          ('testing', 'gallery_light2_occlusion1', 'camera_0', 7))


def class_map() -> np.ndarray:
  colors = CLASS_COLORS + ((0, 0, 0), UNKNOWN)
  rgb = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
  for i, color in enumerate(colors):
    rgb[:, 3 * i:3 * i + 3] = color
  return rgb  # columns 0..26: classes 0..8; 27..29 black; 30..31 unknown


def depth_map() -> np.ndarray:
  depth = np.repeat(100 * np.arange(1, HEIGHT + 1, dtype=np.uint16)[:, None], WIDTH, 1)
  depth[0, 0], depth[0, 1], depth[0, 2] = 0, 65535, 10
  return depth


def main():
  rng = np.random.default_rng(0)
  for split, sequence, camera, n in FRAMES:
    frames = ROOT / split / sequence / 'frames'
    files = (('rgb', f'rgb_{n:05d}.jpg', rng.integers(0, 256, (HEIGHT, WIDTH, 3), np.uint8)),
             ('classsegmentation', f'classgt_{n:05d}.png', class_map()),
             ('depth', f'depth_{n:05d}.png', depth_map()))
    for modality, name, array in files:
      path = frames / modality / camera / name
      path.parent.mkdir(parents=True, exist_ok=True)
      Image.fromarray(array).save(path)


if __name__ == '__main__':
  main()
