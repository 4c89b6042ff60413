"""Writes dummy_data/: a tiny VOCdevkit/VOC2012 tree in the real format
(RGB JPEGs; 'P'-mode label PNGs carrying the VOC colour palette, pixel value =
class index 0..20, 255 = void border; segmentation id lists).

  python datasets/pascal_voc/make_dummy_data.py
"""

import pathlib

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).parent / 'dummy_data' / 'VOCdevkit' / 'VOC2012'
SPLITS = {'train': ['2007_000032', '2007_000039'], 'val': ['2007_000033']}


def voc_palette() -> list[int]:
  """The VOC colour map: the bits of the index spread over R, G and B,
  most significant first (1 -> (128, 0, 0), 255 -> (224, 224, 192))."""
  palette = []
  for index in range(256):
    r = g = b = 0
    value = index
    for shift in range(7, -1, -1):
      r |= (value & 1) << shift
      g |= ((value >> 1) & 1) << shift
      b |= ((value >> 2) & 1) << shift
      value >>= 3
    palette += [r, g, b]
  return palette


def labels(i: int) -> np.ndarray:
  """24x32 indices: background top, aeroplane (1) bottom left, class i + 14
  bottom right, a 1-pixel void (255) border around the bottom-left object."""
  out = np.zeros((24, 32), np.uint8)
  out[12:, :16] = 1
  out[12:, 16:] = 14 + i   # motorbike (14), person (15), pottedplant (16)
  out[11, :17] = 255
  out[11:, 16] = 255
  return out


def main():
  rng = np.random.default_rng(0)
  palette = voc_palette()
  (ROOT / 'ImageSets' / 'Segmentation').mkdir(parents=True, exist_ok=True)
  for split, ids in SPLITS.items():
    (ROOT / 'ImageSets' / 'Segmentation' / f'{split}.txt').write_text(
        ''.join(f'{image_id}\n' for image_id in ids))
  for i, image_id in enumerate(sorted(sum(SPLITS.values(), []))):
    image = rng.integers(0, 256, (24, 32, 3), np.uint8)
    for sub in ('JPEGImages', 'SegmentationClass'):
      (ROOT / sub).mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(ROOT / 'JPEGImages' / f'{image_id}.jpg', quality=75)
    label = Image.fromarray(labels(i))  # 'L'; putpalette makes it 'P'
    label.putpalette(palette)
    assert label.mode == 'P'
    label.save(ROOT / 'SegmentationClass' / f'{image_id}.png')


if __name__ == '__main__':
  main()
