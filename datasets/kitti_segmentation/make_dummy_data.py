"""Writes dummy_data/data_semantics.zip: a tiny copy of KITTI's official zip.

  training/image_2/<nnnnnn>_10.png       RGB frames
  training/semantic/<nnnnnn>_10.png      8-bit grey Cityscapes label ids
  training/semantic_rgb/<nnnnnn>_10.png  RGB colour labels
  training/instance/<nnnnnn>_10.png      16-bit label id * 256 + instance
  testing/image_2/<nnnnnn>_10.png        unlabelled test frames
Frames 0 and 2 fall in our train split, 1 and 3 in validation (MSeg's list).
Frames are 12x40 (the real ones about 375x1242).

  python datasets/kitti_segmentation/make_dummy_data.py
"""

import io
import pathlib
import zipfile

import numpy as np
from PIL import Image

OUT = pathlib.Path(__file__).parent / 'dummy_data'
H, W = 12, 40
DATE = (2018, 3, 1, 12, 0, 0)
COLORS = {0: (0, 0, 0), 3: (0, 0, 0), 7: (128, 64, 128), 22: (152, 251, 152),
          23: (70, 130, 180), 26: (0, 0, 142)}


def label_ids(frame: int) -> np.ndarray:
  """Column c of every row holds label id (c + frame) mod 40: every
  Cityscapes id 0..33 and, ignored, 34..39; the shift tells the frames
  apart."""
  return np.broadcast_to((np.arange(W) + frame) % 40, (H, W)).astype(np.uint8)


def png(array: np.ndarray) -> bytes:
  buf = io.BytesIO()
  Image.fromarray(array).save(buf, format='PNG')
  return buf.getvalue()


def main():
  rng = np.random.default_rng(0)
  files = {}
  for frame in range(4):
    name = f'{frame:06d}_10.png'
    ids = label_ids(frame)
    color = np.zeros((H, W, 3), np.uint8)
    for label, rgb in COLORS.items():
      color[ids == label] = rgb
    files[f'training/image_2/{name}'] = png(rng.integers(0, 256, (H, W, 3), np.uint8))
    files[f'training/instance/{name}'] = png(ids.astype(np.uint16) * 256)
    files[f'training/semantic/{name}'] = png(ids)
    files[f'training/semantic_rgb/{name}'] = png(color)
  files['testing/image_2/000000_10.png'] = png(rng.integers(0, 256, (H, W, 3), np.uint8))
  folders = sorted({name.rsplit('/', i)[0] + '/' for name in files
                    for i in range(1, name.count('/') + 1)})
  OUT.mkdir(parents=True, exist_ok=True)
  with zipfile.ZipFile(OUT / 'data_semantics.zip', 'w', zipfile.ZIP_DEFLATED) as archive:
    for folder in folders:
      archive.writestr(zipfile.ZipInfo(folder, DATE), b'')
    for name, data in sorted(files.items()):
      archive.writestr(zipfile.ZipInfo(name, DATE), data, zipfile.ZIP_DEFLATED)


if __name__ == '__main__':
  main()
