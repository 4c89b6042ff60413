"""Writes dummy_data/: a tiny `bdd100k/` tree laid out like the official
archives once unzipped (RGB JPEGs of 32x18 px instead of 1280x720):

  bdd100k/images/10k/{train,val}/<name>.jpg
  bdd100k/labels/sem_seg/masks/{train,val}/<name>.png   8-bit grey, 0..18, 255
  bdd100k/images/100k/{train,val}/<name>.jpg
  bdd100k/labels/det_20/det_{train,val}.json            Scalabel frames
  bdd100k/labels/bdd100k_labels_images_{train,val}.json  2018 labels, same images

The 10K train folder also holds an image without a mask, and the 100K train
folder an image that is in neither detection JSON: neither is an example.
The 2018 frames, as in the release, also hold `drivable area` and `lane`
polygons (poly2d, no box2d), and a frame whose only label is a lane.

  python datasets/bdd100k/make_dummy_data.py
"""

import json
import pathlib

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).parent / 'dummy_data' / 'bdd100k'
WIDTH, HEIGHT = 32, 18

SEG_NAMES = {'train': ('0a0a0b1a-7c39d841', '0a0ba3a2-4b7f2a66'),
             'val': ('7d06fefd-f7be05a6',)}
SEG_UNLABELLED = '0a1b2c3d-00000000'  # a 10K train image without a mask

DET_FRAMES = {
    'train': [
        {
            'name': 'b1c66a42-6f7d68ca.jpg',
            'attributes': {'weather': 'overcast', 'timeofday': 'daytime',
                           'scene': 'city street'},
            'timestamp': 10000,
            'labels': [
                {'id': '0', 'category': 'car',
                 'attributes': {'occluded': True, 'truncated': False,
                                'trafficLightColor': 'NA'},
                 'manualShape': True, 'manualAttributes': True,
                 'box2d': {'x1': 3.25, 'y1': 2.5, 'x2': 10.75, 'y2': 8.0}},
                {'id': '1', 'category': 'traffic light',
                 'attributes': {'occluded': False, 'truncated': True,
                                'trafficLightColor': 'G'},
                 'manualShape': True, 'manualAttributes': True,
                 'box2d': {'x1': 28.0, 'y1': 0.0, 'x2': 31.9, 'y2': 4.0}},
                {'id': '2', 'category': 'other vehicle',
                 'attributes': {'occluded': False, 'truncated': False,
                                'trafficLightColor': 'NA'},
                 'manualShape': True, 'manualAttributes': True,
                 'box2d': {'x1': 12.0, 'y1': 10.0, 'x2': 19.0, 'y2': 15.0}},
            ],
        },
        {  # A frame without objects has no "labels".
            'name': 'b1c81faa-3df17267.jpg',
            'attributes': {'weather': 'clear', 'timeofday': 'night',
                           'scene': 'highway'},
            'timestamp': 10000,
        },
    ],
    'val': [
        {
            'name': 'b1ca2e5d-84cf9134.jpg',
            'attributes': {'weather': 'rainy', 'timeofday': 'daytime',
                           'scene': 'residential'},
            'timestamp': 10000,
            'labels': [
                {'id': '7', 'category': 'pedestrian',
                 'attributes': {'occluded': False, 'truncated': False,
                                'trafficLightColor': 'NA', 'crowd': True},
                 'manualShape': True, 'manualAttributes': True,
                 'box2d': {'x1': 0.0, 'y1': 6.0, 'x2': 7.0, 'y2': 17.0}},
                {'id': '8', 'category': 'traffic sign',
                 'attributes': {'occluded': False, 'truncated': False,
                                'trafficLightColor': 'NA'},
                 'manualShape': True, 'manualAttributes': True,
                 'box2d': {'x1': 20.0, 'y1': 1.0, 'x2': 23.0, 'y2': 3.0}},
            ],
        },
    ],
}
DET_UNLABELLED = 'b1d0a191-03dcecc2'  # a 100K train image not in the JSONs


def label_2018(index, category, shape, **attributes):
  """A label of the 2018 release: `shape` is its box2d (x1, y1, x2, y2) or,
  for drivable areas and lanes, its poly2d vertices."""
  label = {'category': category}
  if category in ('drivable area', 'lane'):
    label['attributes'] = attributes
    closed = category == 'drivable area'
    shapes = {'poly2d': [{'vertices': [list(v) for v in shape],
                          'types': 'L' * len(shape), 'closed': closed}]}
  else:
    label['attributes'] = {'occluded': False, 'truncated': False,
                           'trafficLightColor': 'none', **attributes}
    shapes = {'box2d': dict(zip(('x1', 'y1', 'x2', 'y2'), shape))}
  return {**label, 'manualShape': True, 'manualAttributes': True, **shapes, 'id': index}


_ROAD = [(0.0, 12.5), (31.0, 12.5), (31.0, 17.0), (0.0, 17.0)]
_CURB = [(0.0, 11.25), (14.5, 9.75)]
FRAMES_2018 = {
    'train': [
        {
            'name': 'b1c66a42-6f7d68ca.jpg',
            'attributes': {'weather': 'overcast', 'scene': 'city street',
                           'timeofday': 'daytime'},
            'timestamp': 10000,
            'labels': [
                label_2018(0, 'car', (3.217391, 2.518072, 10.748129, 7.983445),
                           occluded=True),
                label_2018(1, 'traffic light', (28.0, 0.0, 31.9, 4.0),
                           truncated=True, trafficLightColor='green'),
                label_2018(2, 'drivable area', _ROAD, areaType='direct'),
                label_2018(3, 'bike', (12.0, 10.0, 19.0, 15.0)),
                label_2018(4, 'lane', _CURB, laneDirection='parallel', laneStyle='solid',
                           laneType='road curb'),
            ],
        },
        {  # A frame whose only label is a lane: an image without objects.
            'name': 'b1c81faa-3df17267.jpg',
            'attributes': {'weather': 'clear', 'scene': 'highway', 'timeofday': 'night'},
            'timestamp': 10000,
            'labels': [label_2018(5, 'lane', _CURB, laneDirection='parallel',
                                  laneStyle='dashed', laneType='single white')],
        },
    ],
    'val': [
        {
            'name': 'b1ca2e5d-84cf9134.jpg',
            'attributes': {'weather': 'rainy', 'scene': 'residential',
                           'timeofday': 'daytime'},
            'timestamp': 10000,
            'labels': [
                label_2018(6, 'person', (0.0, 6.0, 7.0, 17.0)),
                label_2018(7, 'truck', (20.5, 1.25, 23.75, 3.5)),
                label_2018(8, 'drivable area', _ROAD, areaType='alternative'),
                label_2018(9, 'motor', (8.0, 8.0, 8.0, 9.5)),  # degenerate: kept
            ],
        },
    ],
}


def segmentation_mask(index: int) -> np.ndarray:
  """Mask `index` (0, 1, ... over the names in SEG_NAMES order)."""
  mask = np.full((HEIGHT, WIDTH), 255, np.uint8)  # unknown everywhere but:
  mask[:6] = 10               # sky
  mask[12:] = 0               # road
  mask[6:12, :8] = 18         # bicycle
  mask[6:12, 8:16] = index + 1  # sidewalk, building, wall, ...
  return mask


def write_image(path: pathlib.Path, rng: np.random.Generator):
  path.parent.mkdir(parents=True, exist_ok=True)
  Image.fromarray(rng.integers(0, 256, (HEIGHT, WIDTH, 3), np.uint8)).save(path, quality=90)


def main():
  rng = np.random.default_rng(0)
  index = 0
  for folder, names in SEG_NAMES.items():
    for name in names:
      write_image(ROOT / 'images' / '10k' / folder / f'{name}.jpg', rng)
      path = ROOT / 'labels' / 'sem_seg' / 'masks' / folder / f'{name}.png'
      path.parent.mkdir(parents=True, exist_ok=True)
      Image.fromarray(segmentation_mask(index)).save(path)
      index += 1
  write_image(ROOT / 'images' / '10k' / 'train' / f'{SEG_UNLABELLED}.jpg', rng)

  for folder, frames in DET_FRAMES.items():
    for frame in frames:
      write_image(ROOT / 'images' / '100k' / folder / frame['name'], rng)
    path = ROOT / 'labels' / 'det_20' / f'det_{folder}.json'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(frames, indent=4))
    path = ROOT / 'labels' / f'bdd100k_labels_images_{folder}.json'
    path.write_text(json.dumps(FRAMES_2018[folder], indent=4))
  write_image(ROOT / 'images' / '100k' / 'train' / f'{DET_UNLABELLED}.jpg', rng)


if __name__ == '__main__':
  main()
