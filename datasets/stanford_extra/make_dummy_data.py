"""Writes dummy_data/: a tiny StanfordExtra v1.2 + Stanford Dogs tree in the
real format.

  Images/<wnid>-<Breed>/<wnid>_<n>.jpg            (as in images.tar)
  StanfordExtra_v12/StanfordExtra_v12.json        (json.dump of a list; NaN
      placeholders [NaN, NaN, 0] among the 24 joints; seg = pycocotools
      compressed RLE counts string, "" for one entry)
  StanfordExtra_v12/{train,val,test}_stanford_StanfordExtra_v12.npy
      (int64 indices into the list, unsorted)

Entries: 0 val, 1 train (no seg), 2 test, 3 train, 4 val; one more image is
in Images/ but not in the JSON (as ~8k real ones are).

  python datasets/stanford_extra/make_dummy_data.py
"""

import json
import pathlib

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

ROOT = pathlib.Path(__file__).parent / 'dummy_data'
NAN = float('nan')

# img_path, (height, width), img_bbox [x0, y0, w, h], silhouette rectangle
# (rows, cols) or None for seg "", joints {index: [x, y, visible]}.
ENTRIES = (
    ('n02085620-Chihuahua/n02085620_10074.jpg', (32, 40), [5, 4, 30, 24],
     (slice(4, 28), slice(5, 35)),
     {0: [6.0, 26.5, 1.0],             # visible
      1: [7.5, 20.0, 0.0],             # occluded: labelled, visible 0
      12: [NAN, NAN, 0.0],             # v1.2 placeholder: not labelled
      16: [33.0, 6.333333333333333, 1.0],
      18: [30.0, 4.0, 1.0], 19: [20.0, 4.0, 1.0]}),
    ('n02087394-Rhodesian_ridgeback/n02087394_10591.jpg', (36, 28), [2, 3, 24, 30],
     None, {9: [4.0, 30.0, 1.0], 13: [25.0, 5.0, 1.0]}),
    ('n02085620-Chihuahua/n02085620_1007.jpg', (24, 32), [0, 0, 32, 24],
     (slice(0, 24), slice(8, 24)), {17: [16.0, 12.0, 1.0]}),
    ('n02087394-Rhodesian_ridgeback/n02087394_1352.jpg', (30, 40), [10, 5, 20, 20],
     (slice(5, 25), slice(10, 30)), {14: [12.0, 6.0, 1.0], 15: [27.0, 6.0, 0.0]}),
    ('n02087394-Rhodesian_ridgeback/n02087394_36.jpg', (40, 26), [3, 8, 20, 30],
     (slice(8, 38), slice(3, 23)), {2: [5.5, 20.5, 1.0], 5: [NAN, NAN, 0.0]}),
)
SPLITS = {'train': [3, 1], 'val': [4, 0], 'test': [2]}
UNLABELLED_IMAGE = 'n02085620-Chihuahua/n02085620_10131.jpg'


def main():
  rng = np.random.default_rng(0)
  entries = []
  for img_path, (height, width), bbox, rect, labelled in ENTRIES:
    path = ROOT / 'Images' / img_path
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 256, (height, width, 3), np.uint8)).save(path, quality=90)
    joints = [[0.0, 0.0, 0.0] for _ in range(24)]
    for index, joint in labelled.items():
      joints[index] = joint
    if rect is None:
      seg = ''
    else:
      mask = np.zeros((height, width), np.uint8)
      mask[rect] = 1
      seg = mask_utils.encode(np.asfortranarray(mask))['counts'].decode('utf-8')
    entries.append({'img_path': img_path, 'img_width': width, 'img_height': height,
                    'joints': joints, 'img_bbox': bbox, 'is_multiple_dogs': False,
                    'seg': seg})
  path = ROOT / 'Images' / UNLABELLED_IMAGE
  Image.fromarray(rng.integers(0, 256, (20, 20, 3), np.uint8)).save(path, quality=90)
  folder = ROOT / 'StanfordExtra_v12'
  folder.mkdir(parents=True, exist_ok=True)
  with open(folder / 'StanfordExtra_v12.json', 'w') as f:
    json.dump(entries, f)
  for split, indices in SPLITS.items():
    np.save(folder / f'{split}_stanford_StanfordExtra_v12.npy',
            np.fromiter(indices, dtype=np.int64))


if __name__ == '__main__':
  main()
