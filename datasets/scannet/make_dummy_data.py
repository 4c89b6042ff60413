"""Writes dummy_data/: a tiny scannet_frames_25k tree plus the official split
lists, in the real format.

Per scene folder, as in the real archive: color/<frame>.jpg (RGB; here
48x36, twice the label size, as the real 1296x968 colour frames are about
twice the 640x480 labels), label/<frame>.png (8-bit grey, NYU40 ids,
0 = unannotated), depth/<frame>.png (16-bit grey, millimetres),
instance/<frame>.png (8-bit grey), pose/<frame>.txt (4x4 camera to world),
intrinsics_color.txt and intrinsics_depth.txt (4x4). scannetv2_train.txt /
scannetv2_val.txt: one scene id a line.

Labels (24x18): rows 0-5 unannotated (0), rows 6-11 wall (1), rows 12-17
otherprop (40) in columns 0-11 and class 5 + frame/100 in columns 12-23.
Colour: left half red, right half blue (train) or green (val).

  python datasets/scannet/make_dummy_data.py
"""

import pathlib

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).parent / 'dummy_data'
SCENES = {'train': {'scene0191_00': ('000000', '000100')},
          'val': {'scene0568_00': ('000000',)}}
LABEL_H, LABEL_W = 18, 24


def matrix_text(matrix):
  return ''.join(' '.join(f'{v:.6f}' for v in row) + '\n' for row in matrix)


def main():
  frames_root = ROOT / 'scannet_frames_25k'
  for split, scenes in SCENES.items():
    (ROOT / f'scannetv2_{split}.txt').parent.mkdir(parents=True, exist_ok=True)
    (ROOT / f'scannetv2_{split}.txt').write_text(''.join(f'{s}\n' for s in scenes))
    for scene, frames in scenes.items():
      folder = frames_root / scene
      for sub in ('color', 'label', 'depth', 'instance', 'pose'):
        (folder / sub).mkdir(parents=True, exist_ok=True)
      (folder / 'intrinsics_color.txt').write_text(matrix_text(
          [[58.5, 0, 24, 0], [0, 58.5, 18, 0], [0, 0, 1, 0], [0, 0, 0, 1]]))
      (folder / 'intrinsics_depth.txt').write_text(matrix_text(
          [[28.9, 0, 12, 0], [0, 28.9, 9, 0], [0, 0, 1, 0], [0, 0, 0, 1]]))
      for frame in frames:
        color = np.zeros((2 * LABEL_H, 2 * LABEL_W, 3), np.uint8)
        color[:, :LABEL_W] = (200, 30, 30)
        color[:, LABEL_W:] = (30, 30, 200) if split == 'train' else (30, 200, 30)
        Image.fromarray(color).save(folder / 'color' / f'{frame}.jpg', quality=95)
        label = np.zeros((LABEL_H, LABEL_W), np.uint8)
        label[6:12] = 1
        label[12:, :12] = 40
        label[12:, 12:] = 5 + int(frame) // 100
        Image.fromarray(label).save(folder / 'label' / f'{frame}.png')
        depth = np.full((LABEL_H, LABEL_W), 1500, np.uint16)
        Image.fromarray(depth).save(folder / 'depth' / f'{frame}.png')
        instance = (label > 0).astype(np.uint8)
        Image.fromarray(instance).save(folder / 'instance' / f'{frame}.png')
        (folder / 'pose' / f'{frame}.txt').write_text(matrix_text(np.eye(4)))


if __name__ == '__main__':
  main()
