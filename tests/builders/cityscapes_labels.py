"""Cityscapes label id -> train id, written out from the official
cityscapesScripts `labels.py`, and -> the Factors of Influence paper's
class, written out from its class list: the reference the Cityscapes-label
builder tests (cityscapes_fine, kitti_segmentation) check against."""

from typing import Callable

import numpy as np

IGNORE = 255

# Label id: (name, train id). Ids above 33 are ignored as well.
LABELS = {
    0: ('unlabeled', IGNORE),
    1: ('ego vehicle', IGNORE),
    2: ('rectification border', IGNORE),
    3: ('out of roi', IGNORE),
    4: ('static', IGNORE),
    5: ('dynamic', IGNORE),
    6: ('ground', IGNORE),
    7: ('road', 0),
    8: ('sidewalk', 1),
    9: ('parking', IGNORE),
    10: ('rail track', IGNORE),
    11: ('building', 2),
    12: ('wall', 3),
    13: ('fence', 4),
    14: ('guard rail', IGNORE),
    15: ('bridge', IGNORE),
    16: ('tunnel', IGNORE),
    17: ('pole', 5),
    18: ('polegroup', IGNORE),
    19: ('traffic light', 6),
    20: ('traffic sign', 7),
    21: ('vegetation', 8),
    22: ('terrain', 9),
    23: ('sky', 10),
    24: ('person', 11),
    25: ('rider', 12),
    26: ('car', 13),
    27: ('truck', 14),
    28: ('bus', 15),
    29: ('caravan', IGNORE),
    30: ('trailer', IGNORE),
    31: ('train', 16),
    32: ('motorcycle', 17),
    33: ('bicycle', 18),
}

# Train id (0..18) -> class name.
TRAIN_ID_NAMES = {train_id: name for name, train_id in LABELS.values() if train_id != IGNORE}

# The paper's Cityscapes and KITTI classes (factors_of_influence
# fids_metadata_segmentation.py, fids_city_scapes = fids_kitti_segmentation):
# paper class p is our class p - 1, its 'background' (unlabeled, out of roi,
# values above 33) the ignore label.
FOI_CLASSES = (
    'background', 'ego vehicle', 'rectification border', 'static',
    'dynamic', 'ground', 'road', 'sidewalk', 'parking', 'rail track',
    'building', 'wall', 'fence', 'guard rail', 'bridge', 'tunnel',
    'pole', 'polegroup', 'traffic light', 'traffic sign', 'vegetation',
    'terrain', 'sky', 'person', 'rider', 'car', 'truck', 'bus',
    'caravan', 'trailer', 'train', 'motorcycle', 'bicycle')


def train_ids(label_ids: np.ndarray) -> np.ndarray:
  """The train ids (IGNORE for ignored ids) of a uint8 label-id image."""
  table = np.full(256, IGNORE, np.uint8)
  for label_id, (_, train_id) in LABELS.items():
    table[label_id] = train_id
  return table[label_ids]


def foi_ids(label_ids: np.ndarray) -> np.ndarray:
  """The paper's class - 1 (IGNORE for its background) of a uint8 label-id image."""
  table = np.full(256, IGNORE, np.uint8)
  for label_id, (name, _) in LABELS.items():
    if name in FOI_CLASSES[1:]:
      table[label_id] = FOI_CLASSES.index(name) - 1
  return table[label_ids]


def closest_frame(seg: np.ndarray, label_ids: Callable[[int], np.ndarray], frames,
                  mapping: Callable[[np.ndarray], np.ndarray] = train_ids) -> int:
  """Which of `frames` a built example is: the one whose dummy label ids
  (`label_ids(frame)`), mapped here by `mapping`, differ from `seg` in fewest
  pixels."""
  return min(frames, key=lambda frame: np.sum(seg != mapping(label_ids(frame))))
