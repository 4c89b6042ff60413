"""Writes dummy_data/: tiny copies of CamVid's two release zips.

  701_StillsRaw_full.zip    701_StillsRaw_full/<seq>_<frame>.png (RGB frames)
  LabeledApproved_full.zip  <seq>_<frame>_L.png (RGB colour-coded labels,
                            at the top of the zip)
Five frames: 0001TP_006690 and 0006R0_f00930 (train), 0016E5_07959
(validation), 0001TP_008550 and Seq05VD_f00000 (test). Frames are 12x16
(the real ones 720x960).

  python datasets/camvid/make_dummy_data.py
"""

import io
import pathlib
import zipfile

import numpy as np
from PIL import Image

OUT = pathlib.Path(__file__).parent / 'dummy_data'
H, W = 12, 16
DATE = (2008, 10, 1, 12, 0, 0)
NAMES = ('0001TP_006690', '0006R0_f00930', '0016E5_07959', '0001TP_008550', 'Seq05VD_f00000')

SKY, BUILDING, ROAD = (128, 128, 128), (128, 0, 0), (128, 64, 128)
VOID, WALL, ANIMAL = (0, 0, 0), (64, 192, 0), (64, 128, 64)
STRAY = (10, 20, 30)  # not a CamVid colour


def label_colors(index: int) -> np.ndarray:
  """Rows 0-2 Sky, 3-5 Building, 6-8 Road, 9 Void, 10 Wall, 11 Animal with
  a stray colour in its last two columns; column `index` of row 0 is
  Building, telling the frames apart."""
  rgb = np.zeros((H, W, 3), np.uint8)
  for rows, color in ((slice(0, 3), SKY), (slice(3, 6), BUILDING), (slice(6, 9), ROAD),
                      (9, VOID), (10, WALL), (11, ANIMAL)):
    rgb[rows] = color
  rgb[11, -2:] = STRAY
  rgb[0, index] = BUILDING
  return rgb


def png(array: np.ndarray) -> bytes:
  buf = io.BytesIO()
  Image.fromarray(array).save(buf, format='PNG')
  return buf.getvalue()


def write_zip(path: pathlib.Path, files: dict[str, bytes]):
  with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as archive:
    for name, data in files.items():
      archive.writestr(zipfile.ZipInfo(name, DATE), data, zipfile.ZIP_DEFLATED)


def main():
  rng = np.random.default_rng(0)
  OUT.mkdir(parents=True, exist_ok=True)
  images = {'701_StillsRaw_full/': b''}
  labels = {}
  for index, name in enumerate(NAMES):
    images[f'701_StillsRaw_full/{name}.png'] = png(rng.integers(0, 256, (H, W, 3), np.uint8))
    labels[f'{name}_L.png'] = png(label_colors(index))
  write_zip(OUT / '701_StillsRaw_full.zip', images)
  write_zip(OUT / 'LabeledApproved_full.zip', labels)


if __name__ == '__main__':
  main()
