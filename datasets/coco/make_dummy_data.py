"""Writes dummy_data/: a tiny unzipped COCO 2017 download in the real format.

  train2017/*.jpg, val2017/*.jpg              RGB JPEGs named by 12-digit image id
  annotations/instances_{split}.json          images, annotations (polygons; one
                                              crowd RLE with uncompressed counts),
                                              the 80 categories with real ids
  annotations/person_keypoints_{split}.json   person annotations with 51 keypoint
                                              numbers, num_keypoints; the person
                                              category with keypoints + skeleton
  annotations/panoptic_{split}.json           one annotation per image with
                                              segments_info; the 133 categories
  annotations/panoptic_{split}/*.png          RGB, segment id = R + 256 G + 256^2 B

Two train images (000000000009: 32x48, 000000000025: 40x32, no person) and
one val image (000000000139: 32x40).

  python datasets/coco/make_dummy_data.py
"""

import json
import pathlib

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).parent / 'dummy_data'

# (category id, supercategory, name) of the 80 things.
_THINGS = [
    (1, 'person', 'person'), (2, 'vehicle', 'bicycle'), (3, 'vehicle', 'car'),
    (4, 'vehicle', 'motorcycle'), (5, 'vehicle', 'airplane'), (6, 'vehicle', 'bus'),
    (7, 'vehicle', 'train'), (8, 'vehicle', 'truck'), (9, 'vehicle', 'boat'),
    (10, 'outdoor', 'traffic light'), (11, 'outdoor', 'fire hydrant'),
    (13, 'outdoor', 'stop sign'), (14, 'outdoor', 'parking meter'), (15, 'outdoor', 'bench'),
    (16, 'animal', 'bird'), (17, 'animal', 'cat'), (18, 'animal', 'dog'),
    (19, 'animal', 'horse'), (20, 'animal', 'sheep'), (21, 'animal', 'cow'),
    (22, 'animal', 'elephant'), (23, 'animal', 'bear'), (24, 'animal', 'zebra'),
    (25, 'animal', 'giraffe'), (27, 'accessory', 'backpack'), (28, 'accessory', 'umbrella'),
    (31, 'accessory', 'handbag'), (32, 'accessory', 'tie'), (33, 'accessory', 'suitcase'),
    (34, 'sports', 'frisbee'), (35, 'sports', 'skis'), (36, 'sports', 'snowboard'),
    (37, 'sports', 'sports ball'), (38, 'sports', 'kite'), (39, 'sports', 'baseball bat'),
    (40, 'sports', 'baseball glove'), (41, 'sports', 'skateboard'),
    (42, 'sports', 'surfboard'), (43, 'sports', 'tennis racket'), (44, 'kitchen', 'bottle'),
    (46, 'kitchen', 'wine glass'), (47, 'kitchen', 'cup'), (48, 'kitchen', 'fork'),
    (49, 'kitchen', 'knife'), (50, 'kitchen', 'spoon'), (51, 'kitchen', 'bowl'),
    (52, 'food', 'banana'), (53, 'food', 'apple'), (54, 'food', 'sandwich'),
    (55, 'food', 'orange'), (56, 'food', 'broccoli'), (57, 'food', 'carrot'),
    (58, 'food', 'hot dog'), (59, 'food', 'pizza'), (60, 'food', 'donut'),
    (61, 'food', 'cake'), (62, 'furniture', 'chair'), (63, 'furniture', 'couch'),
    (64, 'furniture', 'potted plant'), (65, 'furniture', 'bed'),
    (67, 'furniture', 'dining table'), (70, 'furniture', 'toilet'),
    (72, 'electronic', 'tv'), (73, 'electronic', 'laptop'), (74, 'electronic', 'mouse'),
    (75, 'electronic', 'remote'), (76, 'electronic', 'keyboard'),
    (77, 'electronic', 'cell phone'), (78, 'appliance', 'microwave'),
    (79, 'appliance', 'oven'), (80, 'appliance', 'toaster'), (81, 'appliance', 'sink'),
    (82, 'appliance', 'refrigerator'), (84, 'indoor', 'book'), (85, 'indoor', 'clock'),
    (86, 'indoor', 'vase'), (87, 'indoor', 'scissors'), (88, 'indoor', 'teddy bear'),
    (89, 'indoor', 'hair drier'), (90, 'indoor', 'toothbrush'),
]
# The 53 stuff categories of COCO panoptic.
_STUFF = [
    (92, 'textile', 'banner'), (93, 'textile', 'blanket'), (95, 'building', 'bridge'),
    (100, 'raw-material', 'cardboard'), (107, 'furniture-stuff', 'counter'),
    (109, 'textile', 'curtain'), (112, 'furniture-stuff', 'door-stuff'),
    (118, 'floor', 'floor-wood'), (119, 'plant', 'flower'), (122, 'food-stuff', 'fruit'),
    (125, 'ground', 'gravel'), (128, 'building', 'house'), (130, 'furniture-stuff', 'light'),
    (133, 'furniture-stuff', 'mirror-stuff'), (138, 'structural', 'net'),
    (141, 'textile', 'pillow'), (144, 'ground', 'platform'), (145, 'ground', 'playingfield'),
    (147, 'ground', 'railroad'), (148, 'water', 'river'), (149, 'ground', 'road'),
    (151, 'building', 'roof'), (154, 'ground', 'sand'), (155, 'water', 'sea'),
    (156, 'furniture-stuff', 'shelf'), (159, 'ground', 'snow'),
    (161, 'furniture-stuff', 'stairs'), (166, 'building', 'tent'), (168, 'textile', 'towel'),
    (171, 'wall', 'wall-brick'), (175, 'wall', 'wall-stone'), (176, 'wall', 'wall-tile'),
    (177, 'wall', 'wall-wood'), (178, 'water', 'water-other'),
    (180, 'window', 'window-blind'), (181, 'window', 'window-other'),
    (184, 'plant', 'tree-merged'), (185, 'structural', 'fence-merged'),
    (186, 'ceiling', 'ceiling-merged'), (187, 'sky', 'sky-other-merged'),
    (188, 'furniture-stuff', 'cabinet-merged'), (189, 'furniture-stuff', 'table-merged'),
    (190, 'floor', 'floor-other-merged'), (191, 'ground', 'pavement-merged'),
    (192, 'solid', 'mountain-merged'), (193, 'plant', 'grass-merged'),
    (194, 'ground', 'dirt-merged'), (195, 'raw-material', 'paper-merged'),
    (196, 'food-stuff', 'food-other-merged'), (197, 'building', 'building-other-merged'),
    (198, 'solid', 'rock-merged'), (199, 'wall', 'wall-other-merged'),
    (200, 'textile', 'rug-merged'),
]
_KEYPOINTS = [
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder',
    'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
    'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle']
_SKELETON = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7],
             [6, 8], [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5],
             [4, 6], [5, 7]]

_INFO = {'description': 'COCO 2017 Dataset', 'url': 'http://cocodataset.org',
         'version': '1.0', 'year': 2017, 'contributor': 'COCO Consortium',
         'date_created': '2017/09/01'}
_LICENSES = [{'url': 'http://creativecommons.org/licenses/by/2.0/', 'id': 4,
              'name': 'Attribution License'}]

# split -> [(image id, height, width)]
IMAGES = {'train2017': [(9, 32, 48), (25, 40, 32)], 'val2017': [(139, 32, 40)]}


def _rect(x0, y0, x1, y1):
  """A polygon around columns x0..x1-1, rows y0..y1-1."""
  return [float(v) for v in (x0, y0, x1, y0, x1, y1, x0, y1)]


def _uncompressed_rle(mask):
  """COCO's uncompressed RLE of a bool mask: run lengths in column-major
  order, starting with a (possibly empty) run of zeros."""
  flat = mask.T.reshape(-1).astype(np.int8)
  changes = np.flatnonzero(np.diff(np.concatenate([[0], flat, [1 - flat[-1]]])))
  counts = np.diff(np.concatenate([[0], changes])).tolist()
  return {'counts': counts, 'size': list(mask.shape)}


# Instance annotations: (id, image id, category id, iscrowd, segmentation, bbox).
def _instances():
  crowd = np.zeros((32, 48), bool)
  crowd[0:8, 30:38] = True
  return [
      (101, 9, 1, 0, [_rect(4, 4, 20, 28)], [4.0, 4.0, 16.0, 24.0]),        # person
      (102, 9, 18, 0, [_rect(14, 10, 26, 20)], [14.0, 10.0, 12.0, 10.0]),   # dog, over 101
      (103, 9, 1, 1, _uncompressed_rle(crowd), [30.0, 0.0, 8.0, 8.0]),      # crowd of persons
      (104, 9, 1, 0, [_rect(34, 4, 46, 16)], [34.0, 4.0, 12.0, 12.0]),      # person over 103
      (201, 25, 90, 0, [_rect(2, 2, 10, 30)], [2.0, 2.0, 8.0, 28.0]),       # toothbrush
      (202, 25, 72, 0, [_rect(16, 4, 28, 12), _rect(16, 20, 28, 36)],       # tv, 2 polygons
       [16.0, 4.0, 12.0, 32.0]),
      (301, 139, 1, 0, [_rect(8, 2, 24, 30)], [8.0, 2.0, 16.0, 28.0]),      # person
      (302, 139, 89, 0, [_rect(28, 20, 36, 28)], [28.0, 20.0, 8.0, 8.0]),   # hair drier
      (303, 139, 1, 0, [_rect(36, 0, 40, 6)], [36.0, 0.0, 4.0, 6.0]),       # person, no keypoints
  ]


# Keypoints of the persons: annotation id -> {keypoint name: (x, y, v)}.
_PERSON_KEYPOINTS = {
    101: {'nose': (12, 6, 2), 'left_shoulder': (15, 12, 1), 'right_shoulder': (9, 12, 2)},
    301: {'nose': (16, 5, 2), 'left_eye': (17, 4, 2), 'right_eye': (15, 4, 1),
          'left_ankle': (39, 29, 2)},
}

# Panoptic segments per image: (segment id as RGB, category id, iscrowd,
# rows, cols) painted in order; pixels left 0 are void.
_PANOPTIC = {
    9: [((70, 130, 180), 187, 0, slice(0, 10), slice(0, 48)),      # sky-other-merged
        ((220, 20, 60), 1, 0, slice(10, 28), slice(4, 20)),        # person
        ((221, 20, 61), 1, 1, slice(12, 24), slice(30, 46)),       # person crowd
        ((102, 102, 156), 199, 0, slice(28, 32), slice(0, 48))],   # wall-other-merged
    25: [((255, 255, 128), 92, 0, slice(0, 20), slice(0, 32)),     # banner
         ((191, 162, 208), 90, 0, slice(4, 36), slice(2, 10)),     # toothbrush
         ((250, 141, 255), 200, 0, slice(36, 40), slice(0, 32))],  # rug-merged
    139: [((200, 141, 7), 200, 0, slice(16, 32), slice(0, 40)),    # rug-merged
          ((220, 20, 60), 1, 0, slice(2, 30), slice(8, 24)),       # person
          ((220, 20, 62), 1, 0, slice(0, 6), slice(36, 40)),       # person
          ((246, 0, 122), 89, 0, slice(20, 28), slice(28, 36))],   # hair drier
}


def _segment_id(rgb):
  return rgb[0] + 256 * rgb[1] + 256 * 256 * rgb[2]


def _write_json(path, data):
  path.parent.mkdir(parents=True, exist_ok=True)
  path.write_text(json.dumps(data, separators=(',', ':')))


def main():
  rng = np.random.default_rng(0)
  instances = _instances()
  for split, images in IMAGES.items():
    image_dicts = []
    for image_id, height, width in images:
      name = f'{image_id:012d}'
      image_dicts.append({
          'license': 4, 'file_name': f'{name}.jpg',
          'coco_url': f'http://images.cocodataset.org/{split}/{name}.jpg',
          'height': height, 'width': width, 'date_captured': '2013-11-14 11:18:45',
          'flickr_url': f'http://farm3.staticflickr.com/dummy/{name}.jpg', 'id': image_id})
      path = ROOT / split / f'{name}.jpg'
      path.parent.mkdir(parents=True, exist_ok=True)
      Image.fromarray(rng.integers(0, 256, (height, width, 3), np.uint8)).save(path, quality=90)
    ids = {im[0] for im in images}
    annotations = []
    for ann_id, image_id, category, crowd, segmentation, bbox in instances:
      if image_id in ids:
        annotations.append({
            'segmentation': segmentation, 'area': bbox[2] * bbox[3], 'iscrowd': crowd,
            'image_id': image_id, 'bbox': bbox, 'category_id': category, 'id': ann_id})
    common = {'info': _INFO, 'licenses': _LICENSES, 'images': image_dicts}
    _write_json(ROOT / 'annotations' / f'instances_{split}.json', {
        **common, 'annotations': annotations,
        'categories': [{'supercategory': s, 'id': i, 'name': n} for i, s, n in _THINGS]})

    persons = []
    for a in annotations:
      if a['category_id'] == 1:
        named = _PERSON_KEYPOINTS.get(a['id'], {})
        points = [named.get(k, (0, 0, 0)) for k in _KEYPOINTS]
        persons.append({**a, 'num_keypoints': sum(v > 0 for *_, v in points),
                        'keypoints': [c for p in points for c in p]})
    _write_json(ROOT / 'annotations' / f'person_keypoints_{split}.json', {
        **common, 'annotations': persons,
        'categories': [{'supercategory': 'person', 'id': 1, 'name': 'person',
                        'keypoints': _KEYPOINTS, 'skeleton': _SKELETON}]})

    panoptic = []
    for image_id, height, width in images:
      rgb = np.zeros((height, width, 3), np.uint8)
      for color, _, _, rows, cols in _PANOPTIC[image_id]:
        rgb[rows, cols] = color
      ids_map = rgb.astype(np.int64) @ np.array([1, 256, 256 * 256])
      segments = []
      for color, category, crowd, _, _ in _PANOPTIC[image_id]:
        rows, cols = np.nonzero(ids_map == _segment_id(color))
        segments.append({
            'id': _segment_id(color), 'category_id': category, 'iscrowd': crowd,
            'bbox': [int(cols.min()), int(rows.min()), int(cols.max() - cols.min() + 1),
                     int(rows.max() - rows.min() + 1)],
            'area': int(rows.size)})
      png = ROOT / 'annotations' / f'panoptic_{split}' / f'{image_id:012d}.png'
      png.parent.mkdir(parents=True, exist_ok=True)
      Image.fromarray(rgb, 'RGB').save(png)
      panoptic.append({'segments_info': segments, 'file_name': png.name, 'image_id': image_id})
    _write_json(ROOT / 'annotations' / f'panoptic_{split}.json', {
        **common, 'annotations': panoptic,
        'categories': [{'supercategory': s, 'isthing': int(i <= 90), 'id': i, 'name': n}
                       for i, s, n in _THINGS + _STUFF]})


if __name__ == '__main__':
  main()
