"""NYU Depth v2, the labelled set: 1449 indoor RGB-D frames with dense depth.

Reads the official `nyu_depth_v2_labeled.mat` (MATLAB v7.3, i.e. HDF5, read
with h5py; arrays are stored transposed: images [N, 3, W, H], depths
[N, W, H] in metres) and the standard 795/654 train/test split from
`splits.mat` (`trainNdxs`, `testNdxs`, 1-based). The test split serves as
`validation`. Depth only for now; the 40-class segmentation needs the
class-mapping file and arrives with the dataset builders issue.
TFDS's own `nyu_depth_v2` reads a different (raw, 47k-frame) mirror, hence a
builder of our own.
"""

import os

import numpy as np
import tensorflow_datasets as tfds

from transfer.data import features

_MAT = 'nyu_depth_v2_labeled.mat'
_SPLITS_MAT = 'splits.mat'


class NyuDepthV2Labeled(tfds.core.GeneratorBasedBuilder):
  """NYU Depth v2 labelled frames in the project's example format."""

  VERSION = tfds.core.Version('1.0.0')
  MANUAL_DOWNLOAD_INSTRUCTIONS = f"""
  1. Download {_MAT} (about 2.8 GB) from the NYU Depth Dataset V2 page
     (https://cs.nyu.edu/~fergus/datasets/nyu_depth_v2.html, "Labeled dataset").
  2. Download {_SPLITS_MAT} (the official train/test split, same page).
  3. Put both files directly in the manual dir:
       <manual_dir>/{_MAT}
       <manual_dir>/{_SPLITS_MAT}
     (manual_dir defaults to <data_dir>/downloads/manual/).
  4. Run: tfds build datasets/nyu_depth_v2/nyu_depth_v2_labeled.py --manual_dir=<manual_dir>
  """

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, description=__doc__,
                                 features=features.example_features(0))

  def _split_generators(self, dl_manager):
    paths = [os.path.join(dl_manager.manual_dir, name) for name in (_MAT, _SPLITS_MAT)]
    for path in paths:
      if not os.path.exists(path):
        raise FileNotFoundError(
            f'{path} not found. Manual download steps:{self.MANUAL_DOWNLOAD_INSTRUCTIONS}')
    from scipy import io as scipy_io  # pylint: disable=g-import-not-at-top
    splits = scipy_io.loadmat(paths[1])
    return {'train': self._generate_examples(paths[0], splits['trainNdxs'].ravel() - 1),
            'validation': self._generate_examples(paths[0], splits['testNdxs'].ravel() - 1)}

  def _generate_examples(self, mat_path, indices):
    import h5py  # pylint: disable=g-import-not-at-top
    with h5py.File(mat_path, 'r') as mat:
      for index in indices:
        image = np.transpose(mat['images'][index], (2, 1, 0))
        depth = np.transpose(mat['depths'][index], (1, 0)).astype(np.float32)
        example = features.empty_annotations(*image.shape[:2], 0, 255)
        example.update(image=image, depth=depth[..., None], has_depth=True)
        yield int(index), example
