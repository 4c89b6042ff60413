"""SUN RGB-D: 37-class semantic segmentation and depth of 10,335 indoor frames.

Reads the official `SUNRGBD.zip` (one folder per frame, e.g.
`SUNRGBD/kv1/NYUdata/NYU0001/`, with `image/<name>.jpg` and
`depth_bfx/<name>.png`) and three files of the official `SUNRGBDtoolbox.zip`:

* `Metadata/SUNRGBDMeta.mat` (MATLAB v5): the struct array `SUNRGBDMeta`,
  one entry per frame, whose `rgbpath` (e.g.
  `/n/fs/sun3d/data/SUNRGBD/kv1/NYUdata/NYU0001/image/NYU0001.jpg`, the
  authors' disk, sometimes with a doubled slash), `rgbname` and `depthname`
  locate the frame's files.
* `Metadata/SUNRGBD2Dseg.mat` (MATLAB v7.3, HDF5, read with h5py one frame
  at a time; MATLAB needs ~64 GB to load it whole): the struct array
  `SUNRGBD2Dseg`, in the same order as `SUNRGBDMeta`, whose field
  `seglabel` holds each frame's 37-class label map (stored transposed,
  [W, H]; 0 = unlabelled, 1..37 the classes of `seg37list`). This is the
  toolbox's 37-class annotation that papers report on; the per-frame
  `seg.mat` files hold only the free-form object names.
* `traintestSUNRGBD/allsplit.mat` (MATLAB v5): `alltrain` (5285 frames) and
  `alltest` (5050), cells of frame folders on the authors' disk
  (`/n/fs/sun3d/data/SUNRGBD/...`). The test set serves as `validation`.

Labels: value k becomes class id k - 1 (names in the catalogue); 0 becomes
the ignore label 255.

Depth: the `depth_bfx` PNGs (the toolbox's filled-in depth) are 16-bit
values whose bits are rotated by 3: as the toolbox's `read3dPoints.m`
does, depth_mm = (v >> 3) | (v << 13) (16 bits), metres = depth_mm / 1000.

Frame paths in the metadata and split are matched after dropping
everything up to `SUNRGBD/` and empty path parts. Keys are the frame folder
relative to `SUNRGBD/` (e.g. `kv1/NYUdata/NYU0001`). TFDS has no SUN RGB-D
builder.

Two configs:

`standard` (catalogue `sun_rgbd`): the splits of allsplit.mat; depth
  outside the dataset's valid range 0.369-8 m (the toolbox clips at 8 m;
  the closest reliable sensor reading is 0.369 m) becomes 0 = invalid.
`foi` (catalogue `sun_rgbd_foi`): as the Factors of Influence paper's
  builder, `factors_of_influence/fids/sunrgbd.py` (class SUNRGBD on
  `mseg_base.MSegBase`):
  * Frames: MSeg's lists of `sunrgbd-37` (mseg-api,
    `mseg/dataset_lists/sunrgbd-37/list/{train,val}.txt`; lines
    `image/train/img-000001.jpg ...`). train.txt names all 5285 training
    frames, val.txt 475 of the 5050 test frames: the paper's validation.
    Image number n of `image/train` (`image/test`) is taken as the n-th
    frame of alltrain (alltest): the numbering of Ankur Handa's
    sunrgbd-meta-data, which Chris Choy's `sun_rgbd.tgz` (what MSeg
    downloads) reorganised, and whose `computeDHA_SUNRGBD.m` numbers the
    training frames in alltrain's order. Not confirmed without those files.
  * Labels: its `segmentation` feature, MSeg's `sunrgbd-38` label maps
    (the toolbox's seglabel; `sunrgbd-38_names.txt` is 'unlabeled' and the
    37 classes in seg37list's order) with 'unlabeled' as its class 0
    'background': the same classes and ids as `standard` (0 ignored).
  * Depth: it reads `depth/{train,test}/%08d.png` (`DEPTH_FILE_PATTERN`,
    `dataset_dirs.SUNRGBD_DEPTH_DIR` = ./data/sunrgbd/depth/): the `depth/`
    folder of Choy's `sun_rgbd.tgz`, which MSeg's download script deletes
    and the paper's README says to copy there. Its comments quote the
    toolbox's handling of `depthInpaint`, the depth_bfx image, so this
    config reads the same depth_bfx PNGs (not confirmed: Choy's files are
    not public apart from that archive). It undoes the bit rotation,
    divides by 1000 and applies np.minimum(depth, 8), as the toolbox. Its
    metadata (`_info_features`: `default_clip_min=0.369`,
    `default_clip_max=8.0`, required for depth by
    `fids_features.FeatureUtils.FEATURES_REQUIRED_IN_METADICT`, checked in
    `fids_dataset.FIDSDataset.info` and stored in the TFDS metadata) is a
    clip range that no released code applies: the training code that read
    it is not public. Here it is applied to the stored metres, as in every
    `_foi` depth entry: depth in (0, 0.369) m becomes 0.369, above 8 m 8
    (valid, not invalid), and 0 (no depth) stays 0 = invalid: a clip that
    lifted it to 0.369 m would make missing depth a valid target, and our
    format has no other mark for invalid pixels.
"""


import re

import numpy as np
import tensorflow_datasets as tfds

from transfer.data import builders

_META = 'SUNRGBDtoolbox/Metadata/SUNRGBDMeta.mat'
_SEG = 'SUNRGBDtoolbox/Metadata/SUNRGBD2Dseg.mat'
_SPLIT = 'SUNRGBDtoolbox/traintestSUNRGBD/allsplit.mat'
_SPLITS = {'train': 'alltrain', 'validation': 'alltest'}
# foi: MSeg's list of each split and the image folder its lines name.
_MSEG_LISTS = {'train': ('sunrgbd-37/list/train.txt', 'train'),
               'validation': ('sunrgbd-37/list/val.txt', 'test')}
_NUM_CLASSES = 37
MIN_DEPTH, MAX_DEPTH = 0.369, 8.0


def frame_folder(path: str) -> str:
  """A frame folder (or file) path of the authors' disk -> its path under
  SUNRGBD/, without empty parts: '/n/fs/sun3d/data/SUNRGBD/kv1//x/' ->
  'kv1/x'."""
  parts = str(path).replace('\\', '/').split('/')
  if 'SUNRGBD' in parts:
    parts = parts[len(parts) - parts[::-1].index('SUNRGBD'):]
  return '/'.join(p for p in parts if p)


def _millimetres(raw: np.ndarray) -> np.ndarray:
  """Undoes the rotation of a PNG value's 16 bits by 3."""
  raw = raw.astype(np.uint32)
  return ((raw >> 3) | (raw << 13)) & 0xFFFF


def decode_depth(raw: np.ndarray) -> np.ndarray:
  """depth_bfx PNG values -> metres, 0 outside the valid range."""
  millimetres = _millimetres(raw)
  valid = (millimetres >= round(MIN_DEPTH * 1000)) & (millimetres <= round(MAX_DEPTH * 1000))
  return np.where(valid, millimetres.astype(np.float32) / 1000, 0).astype(np.float32)


def decode_depth_foi(raw: np.ndarray) -> np.ndarray:
  """depth_bfx PNG values -> metres as the paper's builder (at most 8 m),
  clipped to its metadata's 0.369-8 m; 0 (no depth) stays 0."""
  metres = np.minimum(_millimetres(raw).astype(np.float32) / 1000, MAX_DEPTH)
  return np.where(metres > 0, np.clip(metres, MIN_DEPTH, MAX_DEPTH), 0).astype(np.float32)


class SunRgbd(builders.ManualBuilder):
  """SUN RGB-D 37-class segmentation and depth."""

  BUILDER_CONFIGS = [
      tfds.core.BuilderConfig(
          name='standard', description='Official 5285/5050 split; depth outside 0.369-8 m '
          'invalid.'),
      tfds.core.BuilderConfig(
          name='foi', description="As the FoI paper's builder: MSeg's 5285/475 lists; depth "
          'clipped to 0.369-8 m.'),
  ]
  CATALOG_NAMES = {'standard': 'sun_rgbd', 'foi': 'sun_rgbd_foi'}
  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = f"""
  1. From the SUN RGB-D page (https://rgbd.cs.princeton.edu/, "Data") download
       SUNRGBD.zip (about 6.4 GB, https://rgbd.cs.princeton.edu/data/SUNRGBD.zip)
       SUNRGBDtoolbox.zip (https://rgbd.cs.princeton.edu/data/SUNRGBDtoolbox.zip)
  2. Unzip both into the manual dir, so that these exist:
       <manual_dir>/SUNRGBD/kv1/NYUdata/NYU0001/image/NYU0001.jpg
       <manual_dir>/SUNRGBD/kv1/NYUdata/NYU0001/depth_bfx/NYU0001.png
       <manual_dir>/{_META}
       <manual_dir>/{_SEG}
       <manual_dir>/{_SPLIT}
     (manual_dir defaults to <data_dir>/downloads/manual/).
  3. Only for sun_rgbd_foi: copy the folder mseg/dataset_lists/sunrgbd-37 of
     MSeg's mseg-api (https://github.com/mseg-dataset/mseg-api) into the
     manual dir, so that these exist:
       <manual_dir>/{_MSEG_LISTS['train'][0]}
       <manual_dir>/{_MSEG_LISTS['validation'][0]}
  4. python -m transfer.data.build sun_rgbd --manual_dir=<manual_dir>
     python -m transfer.data.build sun_rgbd_foi --manual_dir=<manual_dir>
  """

  def _split_generators(self, dl_manager):
    data_root = self.manual_path(dl_manager, 'SUNRGBD', directory=True)
    seg_path = self.manual_path(dl_manager, _SEG)
    frames = self._read_meta(self.manual_path(dl_manager, _META))
    split_path = self.manual_path(dl_manager, _SPLIT)
    split_mat = builders.read_mat(split_path, self.MANUAL_DOWNLOAD_INSTRUCTIONS, tuple(_SPLITS.values()),
                                 squeeze_me=True, struct_as_record=False)
    index = {folder: i for i, (folder, _, _) in enumerate(frames)}
    out = {}
    for split, variable in _SPLITS.items():
      folders = [frame_folder(p) for p in _strings(split_mat[variable])]
      if not folders:
        raise self.fail(split_path, f'{variable} lists no frames')
      if self.builder_config.name == 'foi':
        folders = self._mseg_frames(dl_manager, split, folders)
      unknown = [f for f in folders if f not in index]
      if unknown:
        raise self.fail(split_path, f'{variable} names {len(unknown)} frames that '
                        f'{_META} does not have, e.g. {unknown[0]}')
      out[split] = self._generate_examples(
          data_root, seg_path, frames, sorted(index[f] for f in folders))
    return out

  def _mseg_frames(self, dl_manager, split, folders: list[str]) -> list[str]:
    """The frames of `folders` (allsplit.mat's, in order) that MSeg's list of
    `split` names: its image number n is the n-th frame."""
    name, image_folder = _MSEG_LISTS[split]
    path = self.manual_path(dl_manager, *name.split('/'))
    pattern = re.compile(rf'image/{image_folder}/img-(\d+)\.jpg')
    out = {}
    lines = builders.read_text(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS).splitlines()
    for i, line in enumerate(lines):
      if not line.strip():
        continue
      match = pattern.fullmatch(line.split()[0])
      if not match:
        raise self.fail(path, f'line {i + 1} does not start with '
                        f'image/{image_folder}/img-<number>.jpg')
      number = int(match.group(1))
      if not 1 <= number <= len(folders):
        raise self.fail(path, f'line {i + 1} names image {number}, but {_SPLIT} has '
                        f'{len(folders)} {image_folder} frames')
      out[folders[number - 1]] = None  # A repeated line is one frame (as the paper's dict).
    if not out:
      raise self.fail(path, 'lists no frames')
    return list(out)

  def _read_meta(self, path) -> list[tuple[str, str, str]]:
    """(frame folder, rgb name, depth name) per SUNRGBDMeta entry, in order."""
    meta = np.atleast_1d(builders.read_mat(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS, ('SUNRGBDMeta',),
                                           squeeze_me=True, struct_as_record=False)['SUNRGBDMeta'])
    frames = []
    for i, entry in enumerate(meta):
      try:
        rgbpath, rgbname, depthname = (str(getattr(entry, field)) for field in
                                       ('rgbpath', 'rgbname', 'depthname'))
      except AttributeError as e:
        raise self.fail(path, f'SUNRGBDMeta({i + 1}) lacks a field ({e})') from e
      # rgbpath is <folder>/image/<rgbname>.
      folder = frame_folder(rgbpath).rsplit('/', 2)[0]
      frames.append((folder, rgbname, depthname))
    return frames

  def _generate_examples(self, data_root, seg_path, frames, indices):
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    ignore = self.dataset_info.ignore_label
    with builders.open_mat_v73(seg_path, steps) as mat:
      try:
        refs = np.asarray(mat['SUNRGBD2Dseg']['seglabel']).ravel()
      except (KeyError, TypeError) as e:
        raise self.fail(seg_path, 'has no struct SUNRGBD2Dseg with field seglabel') from e
      if len(refs) != len(frames):
        raise self.fail(seg_path, f'has {len(refs)} label maps, {_META} '
                        f'{len(frames)} frames')
      for i in indices:
        folder, rgbname, depthname = frames[i]
        frame_dir = data_root / folder
        image = builders.read_image(frame_dir / 'image' / rgbname, steps)
        raw_depth = builders.read_labels(frame_dir / 'depth_bfx' / depthname, steps)
        labels = np.asarray(mat[refs[i]]).T
        if labels.shape != image.shape[:2] or raw_depth.shape != image.shape[:2]:
          raise self.fail(seg_path if labels.shape != image.shape[:2]
                          else frame_dir / 'depth_bfx' / depthname,
                          f'frame {folder}: labels {labels.shape}, depth '
                          f'{raw_depth.shape} and image {image.shape[:2]} differ in size')
        if labels.min() < 0 or labels.max() > _NUM_CLASSES:
          raise self.fail(seg_path, f'seglabel of frame {folder} is outside 0..{_NUM_CLASSES}')
        labels = labels.astype(np.int64)
        segmentation = np.where(labels == 0, ignore, labels - 1)
        decode = decode_depth_foi if self.builder_config.name == 'foi' else decode_depth
        yield folder, self.example(image, segmentation=segmentation, depth=decode(raw_depth))


def _strings(cell) -> list[str]:
  """A MATLAB cell of strings (as scipy gives it, squeezed) -> list."""
  if isinstance(cell, str):
    return [cell]
  return [str(s) for s in np.asarray(cell, dtype=object).ravel()]
