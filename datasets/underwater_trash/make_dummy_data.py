"""Writes dummy_data/: a tiny Trash-ICRA19 release in the real layout and
format: `trash_ICRA19/dataset/{train,val,test}/<video>_frame<n>.jpg` RGB
JPEGs, each with a Pascal VOC (labelImg-style) `.xml` annotation and a
YOLO `.txt` label file beside it (classes 0 plastic, 1 bio, 2 rov; the
builder reads only the XML).

Frames are 48x36 (train, test) or 48x27 (val), a tenth of the real
480x360 / 480x270. The XML labels include the typo `platstic` (-> plastic)
and `timestamp` (dropped).

  python datasets/underwater_trash/make_dummy_data.py
"""

import pathlib

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).parent / 'dummy_data' / 'trash_ICRA19' / 'dataset'
YOLO = {'plastic': 0, 'platstic': 0, 'bio': 1, 'rov': 2}

# folder -> {frame: (width, height, [(name, xmin, ymin, xmax, ymax), ...])}
FRAMES = {
    'train': {
        'obj0009_frame0000050': (48, 36, [('plastic', 4, 6, 20, 30),
                                          ('bio', 30, 2, 47, 12),
                                          ('timestamp', 0, 30, 16, 36),
                                          ('platstic', 22, 20, 28, 34)]),
        'bio0016_frame0000317': (48, 36, [('rov', 1, 1, 48, 36),
                                          ('metal', 10, 12, 11, 13)]),
    },
    'val': {'obj1657_frame0000080': (48, 27, [('bio', 8, 3, 40, 24)])},
    'test': {'obj1505_frame0000161': (48, 36, [])},
}


def voc_xml(folder: str, frame: str, width: int, height: int, objects) -> str:
  parts = [
      '<annotation>', f'\t<folder>{folder}</folder>',
      f'\t<filename>{frame}.jpg</filename>',
      f'\t<path>/home/user/trash_ICRA19/dataset/{folder}/{frame}.jpg</path>',
      '\t<source>', '\t\t<database>Unknown</database>', '\t</source>',
      '\t<size>', f'\t\t<width>{width}</width>', f'\t\t<height>{height}</height>',
      '\t\t<depth>3</depth>', '\t</size>', '\t<segmented>0</segmented>']
  for name, x0, y0, x1, y1 in objects:
    parts += [
        '\t<object>', f'\t\t<name>{name}</name>', '\t\t<pose>Unspecified</pose>',
        '\t\t<truncated>0</truncated>', '\t\t<difficult>0</difficult>',
        '\t\t<bndbox>', f'\t\t\t<xmin>{x0}</xmin>', f'\t\t\t<ymin>{y0}</ymin>',
        f'\t\t\t<xmax>{x1}</xmax>', f'\t\t\t<ymax>{y1}</ymax>', '\t\t</bndbox>',
        '\t</object>']
  return '\n'.join(parts + ['</annotation>', ''])


def yolo_txt(width: int, height: int, objects) -> str:
  lines = []
  for name, x0, y0, x1, y1 in objects:
    if name in YOLO:
      lines.append(f'{YOLO[name]} {(x0 + x1) / 2 / width:.6f} {(y0 + y1) / 2 / height:.6f} '
                   f'{(x1 - x0) / width:.6f} {(y1 - y0) / height:.6f}')
  return ''.join(line + '\n' for line in lines)


def main():
  rng = np.random.default_rng(0)
  for folder, frames in FRAMES.items():
    (ROOT / folder).mkdir(parents=True, exist_ok=True)
    for frame, (width, height, objects) in frames.items():
      image = rng.integers(0, 256, (height, width, 3), np.uint8)
      Image.fromarray(image).save(ROOT / folder / f'{frame}.jpg')
      (ROOT / folder / f'{frame}.xml').write_text(voc_xml(folder, frame, width, height, objects))
      (ROOT / folder / f'{frame}.txt').write_text(yolo_txt(width, height, objects))


if __name__ == '__main__':
  main()
