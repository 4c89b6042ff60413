"""Writes dummy_data/: tiny copies of the two official Cityscapes zips.

  leftImg8bit_trainvaltest.zip  leftImg8bit/{train,val,test}/<city>/
                                <city>_<seq>_<frame>_leftImg8bit.png (RGB)
  gtFine_trainvaltest.zip       gtFine/{train,val,test}/<city>/<city>_<seq>_<frame>_gtFine_
                                {labelIds (8-bit grey label ids), instanceIds (16-bit),
                                color (RGBA)}.png and _polygons.json
Both carry a README and license.txt at the top and folder entries, as the
real ones do. Images are 16x32 (the real ones 1024x2048).

  python datasets/cityscapes_fine/make_dummy_data.py
"""

import io
import json
import pathlib
import zipfile

import numpy as np
from PIL import Image

OUT = pathlib.Path(__file__).parent / 'dummy_data'
H, W = 16, 32
# (split folder, city, seq, frame)
FRAMES = (('train', 'aachen', 0, 19), ('train', 'bochum', 0, 313),
          ('val', 'frankfurt', 0, 294), ('test', 'berlin', 0, 19))
# Label id -> colour of the official labels.py, for the _color.png files.
COLORS = {0: (0, 0, 0), 1: (0, 0, 0), 7: (128, 64, 128), 8: (244, 35, 232),
          9: (250, 170, 160), 23: (70, 130, 180), 26: (0, 0, 142), 33: (119, 11, 32)}
DATE = (2016, 2, 17, 12, 0, 0)


def label_ids(index: int) -> np.ndarray:
  """Pixel (r, c) of frame `index` holds label id (W r + c + index) mod 40:
  every id 0..33 and, ignored, 34..39; the shift tells the frames apart. The
  test frame is all zero, as the real test labels are."""
  if index == 3:
    return np.zeros((H, W), np.uint8)
  return ((np.arange(H * W).reshape(H, W) + index) % 40).astype(np.uint8)


def png(array: np.ndarray, mode: str | None = None) -> bytes:
  buf = io.BytesIO()
  Image.fromarray(array, mode).save(buf, format='PNG')
  return buf.getvalue()


def write_zip(path: pathlib.Path, files: dict[str, bytes]):
  folders = sorted({name.rsplit('/', i)[0] + '/' for name in files
                    for i in range(1, name.count('/') + 1)})
  with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as archive:
    for folder in folders:
      archive.writestr(zipfile.ZipInfo(folder, DATE), b'')
    for name, data in files.items():
      archive.writestr(zipfile.ZipInfo(name, DATE), data, zipfile.ZIP_DEFLATED)


def main():
  rng = np.random.default_rng(0)
  OUT.mkdir(parents=True, exist_ok=True)
  images = {'README': b'The Cityscapes Dataset (dummy copy).\n',
            'license.txt': b'See https://www.cityscapes-dataset.com/license/\n'}
  labels = dict(images)
  for index, (split, city, seq, frame) in enumerate(FRAMES):
    stem = f'{city}_{seq:06d}_{frame:06d}'
    images[f'leftImg8bit/{split}/{city}/{stem}_leftImg8bit.png'] = png(
        rng.integers(0, 256, (H, W, 3), np.uint8))
    ids = label_ids(index)
    base = f'gtFine/{split}/{city}/{stem}_gtFine_'
    color = np.zeros((H, W, 4), np.uint8)
    color[..., 3] = 255
    for label, rgb in COLORS.items():
      color[ids == label, :3] = rgb
    instances = ids.astype(np.uint16)
    instances[ids == 26] = 26 * 1000  # car instance 0
    labels[base + 'color.png'] = png(color, 'RGBA')
    labels[base + 'instanceIds.png'] = png(instances)
    labels[base + 'labelIds.png'] = png(ids, 'L')
    labels[base + 'polygons.json'] = json.dumps(
        {'imgHeight': H, 'imgWidth': W,
         'objects': [{'label': 'sky', 'polygon': [[0, 0], [W - 1, 0], [W - 1, 3], [0, 3]]}]},
        indent=4).encode()
  write_zip(OUT / 'leftImg8bit_trainvaltest.zip', images)
  write_zip(OUT / 'gtFine_trainvaltest.zip', labels)


if __name__ == '__main__':
  main()
