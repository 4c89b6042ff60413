"""Writes dummy_data/: a tiny SUNRGBD.zip + SUNRGBDtoolbox.zip tree in the real
format.

* SUNRGBD/<sensor>/.../<frame>/image/<name>.jpg (RGB), depth/<name>.png and
  depth_bfx/<name>.png (16-bit grey, millimetres with the bits rotated left
  by 3, as the toolbox's read3dPoints.m undoes), intrinsics.txt. Three
  frames of sensor-specific sizes (kv1, kv2, realsense).
* SUNRGBDtoolbox/Metadata/SUNRGBDMeta.mat (MATLAB v5): struct array
  SUNRGBDMeta [1, 3] with the real field names; rgbpath/depthpath on the
  authors' disk (/n/fs/sun3d/data/SUNRGBD/...), the kv1 one with the
  doubled slash some real entries have.
* SUNRGBDtoolbox/Metadata/SUNRGBD2Dseg.mat (MATLAB v7.3 = HDF5 behind a
  512-byte MATLAB header): struct array SUNRGBD2Dseg [1, 3], fields seglabel
  and seglabelall as object-reference datasets [3, 1] into #refs#, each a
  transposed [W, H] double label map; seg37list {1, 37} of char arrays.
* SUNRGBDtoolbox/traintestSUNRGBD/allsplit.mat (MATLAB v5): alltrain {1, 2},
  alltest {1, 1} of frame folders (one with a trailing slash), and
  trainvalsplit (struct with train / val cells).
* sunrgbd-37/list/{train,val}.txt: MSeg's lists (read by sun_rgbd_foi),
  lines `image/<train|test>/img-<n>.jpg semseg-label37/<...>/<n>.png`, n
  counting alltrain / alltest. The real train.txt names every training
  frame; this one names only the second (twice), so that the tests see the
  list select frames. val.txt names the test frame.

Every frame: labels rows 0-1 unlabelled (0), rows 2-3 wall (1), rows 4-5
bag (37), the rest 10 + frame number (1-based, in SUNRGBDMeta order).
Depth columns (mm): 0-3 1000, 4-7 300 (too near), 8-11 9000 (too far),
12-15 0 (missing), 16-19 8000, from 20 369 + row.

  python datasets/sun_rgbd/make_dummy_data.py
"""

import pathlib

import h5py
import numpy as np
from PIL import Image

from transfer_datasets.nyu_depth_v2.make_dummy_data import cell, mat_v5, matlab_v73_header

ROOT = pathlib.Path(__file__).parent / 'dummy_data'
DISK = '/n/fs/sun3d/data/'
SEG37 = ('wall', 'floor', 'cabinet', 'bed', 'chair', 'sofa', 'table', 'door', 'window',
         'bookshelf', 'picture', 'counter', 'blinds', 'desk', 'shelves', 'curtain',
         'dresser', 'pillow', 'mirror', 'floor_mat', 'clothes', 'ceiling', 'books',
         'fridge', 'tv', 'paper', 'towel', 'shower_curtain', 'box', 'whiteboard',
         'person', 'night_stand', 'toilet', 'sink', 'lamp', 'bathtub', 'bag')
# (folder under SUNRGBD/, image name stem, sensor, height, width, split)
FRAMES = (
    ('kv1/NYUdata/NYU0001', 'NYU0001', 'kv1', 24, 32, 'train'),
    ('kv2/kinect2data/000002_2014-05-26_14-23-37_260595134347_rgbf000103-resize',
     '0000103', 'kv2', 26, 36, 'test'),
    ('realsense/lg/2014_10_24-13_59_23-1311000073', '0000073', 'realsense', 26, 34, 'train'),
)


def encode_depth(millimetres):
  """The inverse of the toolbox's bitor(bitshift(d, -3), bitshift(d, 13))."""
  d = millimetres.astype(np.uint32)
  return (((d << 3) | (d >> 13)) & 0xFFFF).astype(np.uint16)


def frame_arrays(number, height, width):
  labels = np.full((height, width), 10 + number, np.float64)
  labels[:2], labels[2:4], labels[4:6] = 0, 1, 37
  depth = np.zeros((height, width), np.uint32)
  depth[:, 0:4], depth[:, 4:8], depth[:, 8:12] = 1000, 300, 9000
  depth[:, 12:16], depth[:, 16:20] = 0, 8000
  depth[:, 20:] = 369 + np.arange(height)[:, None]
  return labels, depth


def main():
  rng = np.random.default_rng(0)
  meta = np.zeros((1, len(FRAMES)), dtype=[(name, object) for name in (
      'sequenceName', 'groundtruth3DBB', 'Rtilt', 'K', 'depthpath', 'rgbpath',
      'anno_extrinsics', 'depthname', 'rgbname', 'sensorType', 'valid')])
  label_maps = []
  for i, (folder, stem, sensor, height, width, _) in enumerate(FRAMES):
    frame_dir = ROOT / 'SUNRGBD' / folder
    for sub in ('image', 'depth', 'depth_bfx'):
      (frame_dir / sub).mkdir(parents=True, exist_ok=True)
    labels, depth = frame_arrays(i + 1, height, width)
    label_maps.append(labels)
    image = rng.integers(0, 256, (height, width, 3), np.uint8)
    Image.fromarray(image).save(frame_dir / 'image' / f'{stem}.jpg', quality=90)
    Image.fromarray(encode_depth(depth)).save(frame_dir / 'depth_bfx' / f'{stem}.png')
    raw = np.where(np.arange(width) % 5 == 0, 0, depth)  # raw depth has holes
    Image.fromarray(encode_depth(raw)).save(frame_dir / 'depth' / f'{stem}.png')
    (frame_dir / 'intrinsics.txt').write_text('52 0 16\n0 52 12\n0 0 1\n')
    rgb_folder = DISK + 'SUNRGBD/' + (folder + '/' if sensor == 'kv1' else folder)
    meta[0, i] = (
        'SUNRGBD/' + folder, np.zeros((0, 0)), np.eye(3), np.array([[52., 0, 16], [0, 52, 12], [0, 0, 1]]),
        f'{DISK}SUNRGBD/{folder}/depth_bfx/{stem}.png', f'{rgb_folder}/image/{stem}.jpg',
        np.eye(3), f'{stem}.png', f'{stem}.jpg', sensor, 1.0)
  toolbox = ROOT / 'SUNRGBDtoolbox'
  mat_v5(toolbox / 'Metadata' / 'SUNRGBDMeta.mat', {'SUNRGBDMeta': meta})

  seg_path = toolbox / 'Metadata' / 'SUNRGBD2Dseg.mat'
  with h5py.File(seg_path, 'w', userblock_size=512) as f:
    refs = f.create_group('#refs#')
    def stored(name, array, matlab_class):
      dataset = refs.create_dataset(name, data=array)
      dataset.attrs['MATLAB_class'] = np.bytes_(matlab_class)
      return dataset.ref
    struct = f.create_group('SUNRGBD2Dseg')
    struct.attrs['MATLAB_class'] = np.bytes_('struct')
    for field in ('seglabel', 'seglabelall'):
      # MATLAB is column-major: a [H, W] map is stored as [W, H].
      pointers = [[stored(f'{field}{i}', labels.T, 'double')]
                  for i, labels in enumerate(label_maps)]
      struct.create_dataset(field, data=np.array(pointers, dtype=h5py.ref_dtype))
    names = [[stored(f'name{i}', np.frombuffer(n.encode(), np.uint8).astype(np.uint16)[:, None], 'char')]
             for i, n in enumerate(SEG37)]
    seg37 = f.create_dataset('seg37list', data=np.array(names, dtype=h5py.ref_dtype))
    seg37.attrs['MATLAB_class'] = np.bytes_('cell')
  matlab_v73_header(seg_path)

  split = {s: [DISK + 'SUNRGBD/' + f[0] for f in FRAMES if f[5] == s] for s in ('train', 'test')}
  split['train'][1] += '/'
  trainval = np.zeros((1, 1), dtype=[('train', object), ('val', object)])
  trainval[0, 0] = (cell(split['train'][:1]), cell(split['train'][1:]))
  mat_v5(toolbox / 'traintestSUNRGBD' / 'allsplit.mat', {
      'alltrain': cell(split['train']), 'alltest': cell(split['test']),
      'trainvalsplit': trainval})

  lists = ROOT / 'sunrgbd-37' / 'list'
  lists.mkdir(parents=True, exist_ok=True)
  for name, folder, numbers in (('train', 'train', (2, 2)), ('val', 'test', (1,))):
    (lists / f'{name}.txt').write_text(''.join(
        f'image/{folder}/img-{n:06d}.jpg semseg-label37/{folder}/{n:08d}.png\n'
        for n in numbers))


if __name__ == '__main__':
  main()
