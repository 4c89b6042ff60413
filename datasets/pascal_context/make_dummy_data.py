"""Writes dummy_data/: a tiny PASCAL-Context + VOC 2010 tree in the real format.

  trainval/<id>.mat            scipy.io.savemat, variable LabelMap (uint16 [H, W],
                               ids into labels.txt, 0 = unlabelled)
  labels.txt                   459 lines `<id>: <name>`
  59_labels.txt                59 lines `<id>: <name>`, with the release's
                               spellings 'bedcloth', 'clothes', 'diningtable'
  VOCdevkit/VOC2010/JPEGImages/<id>.jpg, ImageSets/Main/{train,val}.txt

labels.txt gives the 59 frequent classes their real ids (the alphabetical
positions the benchmark code uses, e.g. 2 aeroplane, 397 table); most other
ids get placeholder names ('unused class <id>'), which the builder never
needs beyond their count.

  python datasets/pascal_context/make_dummy_data.py
"""

import io
import pathlib

import numpy as np
from PIL import Image
from scipy import io as scipy_io

ROOT = pathlib.Path(__file__).parent / 'dummy_data'
VOC = ROOT / 'VOCdevkit' / 'VOC2010'
SPLITS = {'train': ['2008_000002', '2008_000003'], 'val': ['2008_000007']}

# The 59 frequent classes with their labels.txt ids, as labels.txt names them.
FREQUENT = {
    2: 'aeroplane', 9: 'bag', 18: 'bed', 19: 'bedclothes', 22: 'bench', 23: 'bicycle',
    25: 'bird', 31: 'boat', 33: 'book', 34: 'bottle', 44: 'building', 45: 'bus',
    46: 'cabinet', 59: 'car', 65: 'cat', 68: 'ceiling', 72: 'chair', 80: 'cloth',
    85: 'computer', 98: 'cow', 104: 'cup', 105: 'curtain', 113: 'dog', 115: 'door',
    144: 'fence', 158: 'floor', 159: 'flower', 162: 'food', 187: 'grass', 189: 'ground',
    207: 'horse', 220: 'keyboard', 232: 'light', 258: 'motorbike', 259: 'mountain',
    260: 'mouse', 284: 'person', 295: 'plate', 296: 'platform', 308: 'pottedplant',
    324: 'road', 326: 'rock', 347: 'sheep', 349: 'shelves', 354: 'sidewalk', 355: 'sign',
    360: 'sky', 366: 'snow', 368: 'sofa', 397: 'table', 415: 'track', 416: 'train',
    420: 'tree', 424: 'truck', 427: 'tvmonitor', 440: 'wall', 445: 'water',
    454: 'window', 458: 'wood'}
OTHER = {1: 'accordion', 3: 'air conditioner'}
# 59_labels.txt's own spellings of three classes.
SUBSET_SPELLING = {'table': 'diningtable', 'bedclothes': 'bedcloth', 'cloth': 'clothes'}


def label_map(i: int) -> np.ndarray:
  """24x32 LabelMap: sky (360) top, bottom: table (397), a rare class
  (3, air conditioner), cloth (80); the left column unlabelled (0); image i
  has one pixel of the last id, 459."""
  out = np.full((24, 32), 360, np.uint16)
  out[12:, :16] = 397
  out[12:, 16:24] = 3
  out[12:, 24:] = 80
  out[:, 0] = 0
  out[0, 1 + i] = 459
  return out


def main():
  names = {i: FREQUENT.get(i) or OTHER.get(i) or f'unused class {i}' for i in range(1, 460)}
  ROOT.mkdir(parents=True, exist_ok=True)
  (ROOT / 'labels.txt').write_text(''.join(f'{i}: {n}\n' for i, n in names.items()))
  subset = sorted(SUBSET_SPELLING.get(n, n) for n in FREQUENT.values())
  (ROOT / '59_labels.txt').write_text(''.join(f'{i}: {n}\n' for i, n in enumerate(subset, 1)))

  (VOC / 'ImageSets' / 'Main').mkdir(parents=True, exist_ok=True)
  for split, ids in SPLITS.items():
    (VOC / 'ImageSets' / 'Main' / f'{split}.txt').write_text(''.join(f'{x}\n' for x in ids))
  (VOC / 'JPEGImages').mkdir(parents=True, exist_ok=True)
  (ROOT / 'trainval').mkdir(parents=True, exist_ok=True)
  rng = np.random.default_rng(0)
  for i, image_id in enumerate(sorted(sum(SPLITS.values(), []))):
    image = rng.integers(0, 256, (24, 32, 3), np.uint8)
    Image.fromarray(image).save(VOC / 'JPEGImages' / f'{image_id}.jpg', quality=75)
    write_mat(ROOT / 'trainval' / f'{image_id}.mat', label_map(i))


def write_mat(path: pathlib.Path, labels: np.ndarray):
  """A MATLAB v5 file with LabelMap, its 116-byte text header fixed (savemat
  stamps the time there) so that reruns write identical bytes."""
  buffer = io.BytesIO()
  scipy_io.savemat(buffer, {'LabelMap': labels}, do_compression=True)
  header = b'MATLAB 5.0 MAT-file, Platform: GLNXA64, Created on: Thu Jan  1 00:00:00 2015'
  path.write_bytes(header.ljust(116, b' ') + buffer.getvalue()[116:])


if __name__ == '__main__':
  main()
