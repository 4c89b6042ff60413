"""Writes dummy_data/: the three official NYU Depth v2 files, tiny.

* nyu_depth_v2_labeled.mat: MATLAB v7.3, i.e. HDF5 behind a 512-byte user
  block that starts with MATLAB's 128-byte text header; arrays transposed as
  MATLAB stores them (images [N, 3, W, H] uint8, depths [N, W, H] single in
  metres, labels [N, W, H] uint16, 0 = unlabelled, 1..894 raw classes), each
  with its MATLAB_class attribute. 3 frames of 12x16.
* splits.mat (MATLAB v5): trainNdxs = [1; 3], testNdxs = [2] (1-based,
  column vectors of doubles).
* classMapping40.mat (MATLAB v5): mapClass [1, 894] doubles in 1..40 (here
  raw k -> 1 + (7 k mod 40), so class id (7 k) mod 40), className {1, 40},
  allClassName {1, 894}.

Frame f (1-based) has: rows 0-3 unlabelled, rows 4-7 raw class 1, rows
8-11 raw 894 in columns 0-7 and raw 40 + f in columns 8-15; depth
1 + f/4 + column/100 metres, 0 (missing) at pixel (0, 0); a random image
(seed f). `frame(f)` returns them in [H, W] layout.

  python datasets/nyu_depth_v2/make_dummy_data.py
"""

import io
import pathlib

import h5py
import numpy as np
from scipy import io as scipy_io

ROOT = pathlib.Path(__file__).parent / 'dummy_data'
HEIGHT, WIDTH, FRAMES = 12, 16, 3


def mat_v5(path, variables):
  """scipy's MATLAB v5 file, with a fixed header text (scipy writes the
  current time there) so the bytes are reproducible."""
  buffer = io.BytesIO()
  scipy_io.savemat(buffer, variables, format='5', do_compression=True)
  data = bytearray(buffer.getvalue())
  header = b'MATLAB 5.0 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2018'
  data[:116] = header.ljust(116)
  path.parent.mkdir(parents=True, exist_ok=True)
  path.write_bytes(bytes(data))


def mat_v73(path, variables):
  """A MATLAB v7.3 file: HDF5 with a 512-byte user block holding the
  MATLAB header (116 bytes of text, 8 of subsystem offset, version 0x0200,
  endian mark 'IM')."""
  matlab_class = {np.uint8: 'uint8', np.uint16: 'uint16', np.float32: 'single',
                  np.float64: 'double'}
  with h5py.File(path, 'w', userblock_size=512) as f:
    for name, array in variables.items():
      dataset = f.create_dataset(name, data=array, compression='gzip')
      dataset.attrs['MATLAB_class'] = np.bytes_(matlab_class[array.dtype.type])
  matlab_v73_header(path)


def matlab_v73_header(path):
  """Writes the MATLAB header into the 512-byte user block of an HDF5 file."""
  header = (b'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 '
            b'00:00:00 2018 HDF5 schema 1.00 .').ljust(116) + b'\x00' * 8 + b'\x00\x02IM'
  with open(path, 'r+b') as f:
    f.write(header)


def cell(strings):
  out = np.empty((1, len(strings)), dtype=object)
  out[0, :] = strings
  return out


def frame(number: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """Frame `number`'s (1-based) image [H, W, 3] uint8, depth [H, W] float32
  and raw labels [H, W] uint16, as the builder should yield them."""
  image = np.random.default_rng(number).integers(0, 256, (HEIGHT, WIDTH, 3), np.uint8)
  depth = np.broadcast_to(1 + number / 4 + np.arange(WIDTH) / 100, (HEIGHT, WIDTH))
  depth = depth.astype(np.float32)
  depth[0, 0] = 0
  label = np.zeros((HEIGHT, WIDTH), np.uint16)
  label[4:8] = 1
  label[8:, :8] = 894
  label[8:, 8:] = 40 + number
  return image, depth, label


def main():
  ROOT.mkdir(parents=True, exist_ok=True)
  frames = [frame(number) for number in range(1, FRAMES + 1)]
  # MATLAB is column-major: h5py sees every array transposed.
  images = np.stack([image.transpose(2, 1, 0) for image, _, _ in frames])
  depths = np.stack([depth.T for _, depth, _ in frames])
  labels = np.stack([label.T for _, _, label in frames])
  mat_v73(ROOT / 'nyu_depth_v2_labeled.mat',
          {'images': images, 'depths': depths, 'labels': labels})
  mat_v5(ROOT / 'splits.mat', {'trainNdxs': np.array([[1.], [3.]]),
                               'testNdxs': np.array([[2.]])})
  raw = np.arange(1, 895)
  mat_v5(ROOT / 'classMapping40.mat', {
      'mapClass': (1 + (7 * raw) % 40).astype(np.float64)[None],
      'className': cell([f'class{k:02d}' for k in range(1, 41)]),
      'allClassName': cell([f'raw{k:03d}' for k in raw]),
  })


if __name__ == '__main__':
  main()
