"""Writes dummy_data/: a tiny Virtual KITTI 2.0.3 tree (the rgb, depth,
classSegmentation and textgt archives extracted together) in the real
format.

For each of the 5 scenes x 10 variations: frames/rgb/Camera_0/rgb_00000.jpg
(RGB), frames/depth/Camera_0/depth_00000.png (16-bit grey, centimetres),
frames/classSegmentation/Camera_0/classgt_00000.png (8-bit RGB, colour per
class) and colors.txt ("Category r g b" header, one category a line).
Scene01/clone also has frame 00001 and a Camera_1 frame (not read).

Frames are 12x45. Segmentation: 15 bands of 3 columns, band k the colour of
the k-th category of colors.txt (14 = Undefined). Depth rows (cm): 0 65535
(sky), 1 50 (but 0 in its first pixel), 2 94, 3 8000, 4 8001, rows 5-11
100 * (1 + variation index) + frame number. The image is flat, its colour
set by scene and variation.

  python datasets/virtual_kitti_2/make_dummy_data.py
"""

import pathlib

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).parent / 'dummy_data'
SCENES = ('Scene01', 'Scene02', 'Scene06', 'Scene18', 'Scene20')
VARIATIONS = ('15-deg-left', '15-deg-right', '30-deg-left', '30-deg-right', 'clone',
              'fog', 'morning', 'overcast', 'rain', 'sunset')
CATEGORIES = (
    ('Terrain', 210, 0, 200), ('Sky', 90, 200, 255), ('Tree', 0, 199, 0),
    ('Vegetation', 90, 240, 0), ('Building', 140, 140, 140), ('Road', 100, 60, 100),
    ('GuardRail', 250, 100, 255), ('TrafficSign', 255, 255, 0),
    ('TrafficLight', 200, 200, 0), ('Pole', 255, 130, 0), ('Misc', 80, 80, 80),
    ('Truck', 160, 60, 60), ('Car', 255, 127, 80), ('Van', 0, 139, 139),
    ('Undefined', 0, 0, 0))
HEIGHT, WIDTH = 12, 45


def write_frame(folder, camera, number, scene_index, variation_index):
  frames = folder / 'frames'
  colour = (40 * scene_index + 20, 20 * variation_index + 10, 100 + 60 * number)
  image = np.broadcast_to(np.array(colour, np.uint8), (HEIGHT, WIDTH, 3))
  seg = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
  for k, (_, r, g, b) in enumerate(CATEGORIES):
    seg[:, 3 * k:3 * k + 3] = (r, g, b)
  depth = np.zeros((HEIGHT, WIDTH), np.uint16)
  depth[0], depth[1], depth[2], depth[3], depth[4] = 65535, 50, 94, 8000, 8001
  depth[1, 0] = 0
  depth[5:] = 100 * (1 + variation_index) + number
  for kind, name, array in (('rgb', f'rgb_{number:05d}.jpg', image),
                            ('depth', f'depth_{number:05d}.png', depth),
                            ('classSegmentation', f'classgt_{number:05d}.png', seg)):
    path = frames / kind / camera / name
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, **({'quality': 95} if kind == 'rgb' else {}))


def main():
  colors = 'Category r g b\n' + ''.join(f'{n} {r} {g} {b}\n' for n, r, g, b in CATEGORIES)
  for s, scene in enumerate(SCENES):
    for v, variation in enumerate(VARIATIONS):
      folder = ROOT / scene / variation
      folder.mkdir(parents=True, exist_ok=True)
      (folder / 'colors.txt').write_text(colors)
      write_frame(folder, 'Camera_0', 0, s, v)
      if (scene, variation) == ('Scene01', 'clone'):
        write_frame(folder, 'Camera_0', 1, s, v)
        write_frame(folder, 'Camera_1', 0, s, v)


if __name__ == '__main__':
  main()
