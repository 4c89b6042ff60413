"""Writes dummy_data/: a tiny StanfordExtra (v1.2 and v1) + Stanford Dogs
tree in the real format.

  Images/<wnid>-<Breed>/<wnid>_<n>.jpg            (as in images.tar)
  StanfordExtra_v12/StanfordExtra_v12.json        (json.dump of a list; NaN
      placeholders [NaN, NaN, 0] among the 24 joints; seg = pycocotools
      compressed RLE counts string, "" for one entry)
  StanfordExtra_v12/{train,val,test}_stanford_StanfordExtra_v12.npy
      (int64 indices into the list, unsorted)
  StanfordExtra_v1.json                           (the original release: the
      same fields, unlabelled joints [0, 0, 0], no NaN; entry 4 missing)
  {train,test}_list.mat                           (as in lists.tar: cell
      arrays file_list, annotation_list [N, 1] and double labels [N, 1])

Entries: 0 val, 1 train (no seg), 2 test, 3 train, 4 val; one more image is
in Images/ but not in the JSONs (as ~8k real ones are). Stanford Dogs lists:
train 0, 3 and the unlabelled image; test 2, 1, 4.

  python datasets/stanford_extra/make_dummy_data.py
"""

import json
import pathlib

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils
from scipy import io as scipy_io

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
# v1: entries in this order; entry 1's joints differ from v1.2 (joint 9 not
# labelled, joint 3 occluded).
V1_ENTRIES = (3, 0, 2, 1)
V1_JOINTS = {1: {3: [6.0, 28.0, 0.0], 13: [25.0, 5.0, 1.0]}}
# Stanford Dogs lists: entry index (None: the unlabelled image) in list order.
DOGS_LISTS = {'train': [0, None, 3], 'test': [2, 1, 4]}
# Breed labels 1..120 of Stanford Dogs (its wnids in increasing order).
BREEDS = {'n02085620': 1, 'n02087394': 9}


def _cells(strings):
  """A MATLAB cell column of strings, as scipy.io.savemat writes it."""
  return np.array(strings, object).reshape(-1, 1)


def main():
  rng = np.random.default_rng(0)
  entries, v1_entries = [], []
  for index, (img_path, (height, width), bbox, rect, labelled) in enumerate(ENTRIES):
    path = ROOT / 'Images' / img_path
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 256, (height, width, 3), np.uint8)).save(path, quality=90)
    joints = [[0.0, 0.0, 0.0] for _ in range(24)]
    for k, joint in labelled.items():
      joints[k] = joint
    if rect is None:
      seg = ''
    else:
      mask = np.zeros((height, width), np.uint8)
      mask[rect] = 1
      seg = mask_utils.encode(np.asfortranarray(mask))['counts'].decode('utf-8')
    entries.append({'img_path': img_path, 'img_width': width, 'img_height': height,
                    'joints': joints, 'img_bbox': bbox, 'is_multiple_dogs': False,
                    'seg': seg})
    v1_joints = [[0.0, 0.0, 0.0] for _ in range(24)]
    for k, joint in V1_JOINTS.get(index, labelled).items():
      if np.isfinite(joint).all():
        v1_joints[k] = joint
    v1_entries.append({**entries[-1], 'joints': v1_joints})
  path = ROOT / 'Images' / UNLABELLED_IMAGE
  Image.fromarray(rng.integers(0, 256, (20, 20, 3), np.uint8)).save(path, quality=90)
  folder = ROOT / 'StanfordExtra_v12'
  folder.mkdir(parents=True, exist_ok=True)
  with open(folder / 'StanfordExtra_v12.json', 'w') as f:
    json.dump(entries, f)
  for split, indices in SPLITS.items():
    np.save(folder / f'{split}_stanford_StanfordExtra_v12.npy',
            np.fromiter(indices, dtype=np.int64))
  with open(ROOT / 'StanfordExtra_v1.json', 'w') as f:
    json.dump([v1_entries[i] for i in V1_ENTRIES], f)
  for split, indices in DOGS_LISTS.items():
    files = [UNLABELLED_IMAGE if i is None else ENTRIES[i][0] for i in indices]
    scipy_io.savemat(ROOT / f'{split}_list.mat', {
        'file_list': _cells(files),
        'annotation_list': _cells([f.rsplit('.', 1)[0] for f in files]),
        'labels': np.array([[BREEDS[f.split('-')[0]]] for f in files], np.float64)})


if __name__ == '__main__':
  main()
