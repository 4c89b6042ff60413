"""NYU Depth v2, the labelled set: 1449 indoor RGB-D frames, depth and NYU40.

Reads three official files:

* `nyu_depth_v2_labeled.mat`, a MATLAB v7.3 file (HDF5 after a 512-byte
  MATLAB header, read with h5py). MATLAB's column-major arrays arrive
  transposed: `images` is [N, 3, W, H] uint8, `depths` [N, W, H] float32 in
  metres (the inpainted, i.e. filled-in, depth), `labels` [N, W, H] uint16
  with the 894 raw object classes of the set (1..894, 0 = unlabelled).
* `splits.mat` (MATLAB v5), `trainNdxs` (795) and `testNdxs` (654): 1-based
  frame numbers of the standard split. The test split serves as
  `validation`.
* `classMapping40.mat` (MATLAB v5) from Gupta, Arbelaez and Malik (CVPR
  2013), which defines the 40-class task everyone reports: `mapClass`
  [1, 894] gives each raw class its NYU40 class (1..40), `className` the 40
  names, `allClassName` the 894 raw names.

Labels: raw class k becomes class id `mapClass[k] - 1` (0..39, names in the
catalogue, in Gupta's order); unlabelled pixels (0) become the ignore label
255. Depth is kept as stored (metres; anything not positive is invalid).
Example keys are the 1-based frame numbers the split file uses.

TFDS's own `nyu_depth_v2` reads a different release (the raw 47k-frame
video mirror preprocessed by FastDepth, depth only), not these files, so
this builder is our own.
"""

import io

import numpy as np
import tensorflow_datasets as tfds

from transfer.data import builders

_MAT = 'nyu_depth_v2_labeled.mat'
_SPLITS_MAT = 'splits.mat'
_MAPPING_MAT = 'classMapping40.mat'
_NUM_RAW_CLASSES = 894
_NUM_CLASSES = 40


class NyuDepthV2Labeled(builders.ManualBuilder):
  """NYU Depth v2 labelled frames (depth and 40-class segmentation)."""

  CATALOG_NAME = 'nyu_depth_v2'
  VERSION = tfds.core.Version('1.1.0')
  RELEASE_NOTES = {
      '1.0.0': 'Depth only.',
      '1.1.0': '40-class segmentation (Gupta et al. mapping of the 894 raw '
               'classes); keys are the 1-based frame numbers of splits.mat; '
               'errors that name a missing or malformed file.',
  }
  MANUAL_DOWNLOAD_INSTRUCTIONS = f"""
  1. From the NYU Depth Dataset V2 page
     (https://cs.nyu.edu/~fergus/datasets/nyu_depth_v2.html, "Labeled dataset"
     and "Toolbox") download
       {_MAT} (about 2.8 GB, http://horatio.cs.nyu.edu/mit/silberman/nyu_depth_v2/nyu_depth_v2_labeled.mat)
       {_SPLITS_MAT} (the official 795/654 train/test split,
         http://horatio.cs.nyu.edu/mit/silberman/indoor_seg_sup/splits.mat).
  2. Get {_MAPPING_MAT}, the 894 -> 40 class mapping of Gupta et al.
     (CVPR 2013): it is benchmarkData/metadata/{_MAPPING_MAT} in their data
     release (http://www.cs.berkeley.edu/~sgupta/cvpr13/, also in the
     eccv14-data of https://github.com/s-gupta/rcnn-depth), mirrored at
     https://github.com/ankurhanda/nyuv2-meta-data/raw/master/{_MAPPING_MAT}.
  3. Put the three files directly in the manual dir:
       <manual_dir>/{_MAT}
       <manual_dir>/{_SPLITS_MAT}
       <manual_dir>/{_MAPPING_MAT}
     (manual_dir defaults to <data_dir>/downloads/manual/).
  4. python -m transfer.data.build nyu_depth_v2 --manual_dir=<manual_dir>
  """

  def _split_generators(self, dl_manager):
    mat = self.manual_path(dl_manager, _MAT)
    splits_path = self.manual_path(dl_manager, _SPLITS_MAT)
    splits = builders.read_mat(splits_path, self.MANUAL_DOWNLOAD_INSTRUCTIONS, ('trainNdxs', 'testNdxs'))
    table = self._class_table(self.manual_path(dl_manager, _MAPPING_MAT))
    frames = {}
    for split, variable in (('train', 'trainNdxs'), ('validation', 'testNdxs')):
      numbers = np.asarray(splits[variable]).ravel()
      if numbers.size == 0 or np.any(numbers < 1) or np.any(numbers != np.round(numbers)):
        raise self.fail(splits_path, f'{variable} must hold 1-based frame numbers')
      frames[split] = numbers.astype(np.int64)
    return {split: self._generate_examples(mat, numbers, table)
            for split, numbers in frames.items()}

  def _class_table(self, path) -> np.ndarray:
    """Raw label (0..894) -> class id (0..39, 255 for unlabelled)."""
    map_class = np.asarray(builders.read_mat(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS, ('mapClass',))['mapClass']).ravel()
    if (map_class.size != _NUM_RAW_CLASSES or np.any(map_class < 1)
        or np.any(map_class > _NUM_CLASSES)):
      raise self.fail(path, f'mapClass must give each of the {_NUM_RAW_CLASSES} '
                      f'raw classes a class in 1..{_NUM_CLASSES}')
    ignore = self.dataset_info.ignore_label
    return np.concatenate([[ignore], map_class.astype(np.int64) - 1])

  def _generate_examples(self, mat_path, numbers, table):
    with builders.open_mat_v73(mat_path, self.MANUAL_DOWNLOAD_INSTRUCTIONS) as mat:
      arrays = self._check_arrays(mat_path, mat)
      count = arrays['images'].shape[0]
      if numbers.max() > count:
        raise self.fail(mat_path, f'has {count} frames, the split names frame '
                        f'{numbers.max()}')
      for number in numbers:
        index = int(number) - 1
        image = np.transpose(arrays['images'][index], (2, 1, 0))
        depth = np.transpose(arrays['depths'][index], (1, 0)).astype(np.float32)
        raw = np.transpose(arrays['labels'][index], (1, 0)).astype(np.int64)
        if raw.max(initial=0) > _NUM_RAW_CLASSES:
          raise self.fail(mat_path, f'labels of frame {number} exceed '
                          f'{_NUM_RAW_CLASSES}')
        yield int(number), self.example(image, depth=depth, segmentation=table[raw])

  def _check_arrays(self, path, mat) -> dict:
    arrays = {}
    for name, ndim in (('images', 4), ('depths', 3), ('labels', 3)):
      if name not in mat or not hasattr(mat[name], 'shape') or mat[name].ndim != ndim:
        raise self.fail(path, f'has no {ndim}-D array {name!r}')
      arrays[name] = mat[name]
    n, channels, width, height = arrays['images'].shape
    if channels != 3:
      raise self.fail(path, f'images has {channels} channels, expected 3')
    for name in ('depths', 'labels'):
      if arrays[name].shape != (n, width, height):
        raise self.fail(path, f'{name} has shape {arrays[name].shape}, the images '
                        f'{(n, width, height)} (frames, width, height)')
    return arrays
