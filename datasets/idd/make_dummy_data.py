"""Writes dummy_data/IDD_Segmentation/: a tiny extracted idd-segmentation.tar.gz.

  leftImg8bit/{train,val,test}/<seq>/<frame>_leftImg8bit.png  RGB frames
  gtFine/{train,val}/<seq>/<frame>_gtFine_polygons.json       polygons
The JSON files follow the release's schema: imgHeight, imgWidth and objects
[{label, polygon [[x, y], ...], deleted, id}] drawn in file order. Frames are
16x24 (the real ones 1080x1920 or 720x1280).

  python datasets/idd/make_dummy_data.py
"""

import json
import pathlib

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).parent / 'dummy_data' / 'IDD_Segmentation'
H, W = 16, 24


def rect(x0, y0, x1, y1):
  """A rectangle polygon over columns x0..x1 and rows y0..y1 (inclusive)."""
  return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def train_objects(mark: int) -> list[dict]:
  """Sky rows 0-5 (a deleted bus over it), building 6-9, road 10-15, a car
  over building and road with a licence plate, a train over the building
  (level 3: vehicle fallback; the paper's builder: background), a `cargroup`,
  parking, and the ego vehicle over the last row; a two-point traffic sign in
  row 0, column `mark`, tells the frames apart (where two-point polygons are
  drawn)."""
  objects = [
      ('sky', rect(0, 0, W - 1, 5), 0),
      ('bus', rect(10, 0, 14, 3), 1),          # deleted: not drawn
      ('building', rect(0, 6, W - 1, 9), 0),
      ('road', rect(0, 10, W - 1, 15), 0),
      ('car', rect(2, 8, 7, 12), 0),
      ('train', rect(16, 8, 19, 9), 0),
      ('license plate', rect(4, 11, 5, 12), 0),
      ('cargroup', rect(18, 11, 21, 13), 0),
      ('parking', rect(12, 13, 15, 15), 0),
      ('ego vehicle', rect(0, 15, W - 1, 15), 0),
      ('traffic sign', [[mark, 0], [mark, 0]], 0),  # two points: one pixel
  ]
  return [{'deleted': deleted, 'id': i, 'label': label, 'polygon': polygon}
          for i, (label, polygon, deleted) in enumerate(objects)]


def val_objects() -> list[dict]:
  """Sky rows 0-7 with an animal (-> person's class 4) and a float triangle
  of vegetation; rows 8-15 unlabelled."""
  return [
      {'deleted': 0, 'id': 0, 'label': 'sky', 'polygon': rect(0, 0, W - 1, 7)},
      {'deleted': 0, 'id': 1, 'label': 'animal', 'polygon': rect(1, 1, 4, 3)},
      {'deleted': 0, 'id': 2, 'label': 'vegetation',
       'polygon': [[10.0, 2.0], [16.0, 2.0], [10.0, 6.0]]},
  ]


def main():
  rng = np.random.default_rng(0)
  frames = (('train', '0', '005506', train_objects(0)),
            ('train', '1', '210316', train_objects(1)),
            ('val', '119', '035471', val_objects()),
            ('test', '201', '000123', None))
  for split, seq, frame, objects in frames:
    image = ROOT / 'leftImg8bit' / split / seq / f'{frame}_leftImg8bit.png'
    image.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 256, (H, W, 3), np.uint8)).save(image)
    if objects is not None:
      gt = ROOT / 'gtFine' / split / seq / f'{frame}_gtFine_polygons.json'
      gt.parent.mkdir(parents=True, exist_ok=True)
      gt.write_text(json.dumps({'imgHeight': H, 'imgWidth': W, 'objects': objects}, indent=4))


if __name__ == '__main__':
  main()
