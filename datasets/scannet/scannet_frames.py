"""ScanNet v2, the 2D subset `scannet_frames_25k`: NYU40 semantic segmentation.

Reads the official `scannet_frames_25k.zip` (about 25k frames, roughly every
100th frame of the 1513 train/val scans) extracted, with one folder per scan:

  scannet_frames_25k/<scene>/color/<frame>.jpg   RGB, 1296x968
  scannet_frames_25k/<scene>/label/<frame>.png   8-bit labels, 640x480
  (also depth/, instance/, pose/, intrinsics_*.txt: not read)

and the official scene split of the ScanNet benchmark, `scannetv2_train.txt`
(1201 scenes) and `scannetv2_val.txt` (312 scenes), one scene id a line.
The validation split is the official val scenes; the benchmark's test
scenes have no labels and are not in this archive.

Labels: the label PNGs of this archive are already in the NYU40 label set
(ScanNet's BenchmarkScripts README: the 25k subset is the output of its
`convert_scannet_label_image.py`, i.e. the raw ScanNet ids mapped through
`scannetv2-labels.combined.tsv` to `nyu40id`; MSeg likewise reads these
files as its 41-value "scannet-41"). Value 0 (unannotated) becomes the
ignore label 255 and NYU40 class k becomes id k - 1. A value above 40 means
a raw ScanNet-id image (from a scan's `_2d-label-filt.zip`) and is refused,
so the tsv itself is not read.

Resolution: the colour images (1296x968) are larger than the labels
(640x480, the depth camera's grid). The image is resized to the label size
(PIL bilinear with antialiasing): labels keep their exact values, and the
two cameras have nearly the same field of view, so this is the usual
alignment (it is what MSeg and most 2D ScanNet loaders do).

Keys: `<scene>/<frame>`. TFDS has no ScanNet builder.
"""

import numpy as np
from PIL import Image
import tensorflow_datasets as tfds

from transfer.data import builders

_ROOT = 'scannet_frames_25k'
_SPLIT_FILES = {'train': 'scannetv2_train.txt', 'validation': 'scannetv2_val.txt'}
_NUM_CLASSES = 40


class ScannetFrames(builders.ManualBuilder):
  """ScanNet v2 frames (scannet_frames_25k), 40-class NYU segmentation."""

  CATALOG_NAME = 'scannet'
  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = f"""
  1. Request ScanNet access (terms of use at http://www.scan-net.org/,
     https://github.com/ScanNet/ScanNet#scannet-data) and, with the
     download-scannet.py script you are sent, fetch the preprocessed 2D
     frames, the file <BASE_URL>v2/tasks/scannet_frames_25k.zip (about
     5.6 GB; the script's option for the preprocessed frame subset).
  2. Unzip it into the manual dir, so that these exist:
       <manual_dir>/{_ROOT}/scene0000_00/color/000000.jpg
       <manual_dir>/{_ROOT}/scene0000_00/label/000000.png
  3. Download the official scene split lists from
     https://github.com/ScanNet/ScanNet/tree/master/Tasks/Benchmark
     and put them directly in the manual dir:
       <manual_dir>/scannetv2_train.txt
       <manual_dir>/scannetv2_val.txt
     (manual_dir defaults to <data_dir>/downloads/manual/).
  4. python -m transfer.data.build scannet --manual_dir=<manual_dir>
  """

  def _split_generators(self, dl_manager):
    root = self.manual_path(dl_manager, _ROOT, directory=True)
    out = {}
    for split, name in _SPLIT_FILES.items():
      path = self.manual_path(dl_manager, name)
      scenes = builders.read_text(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS).split()
      if not scenes or not all(s.startswith('scene') for s in scenes):
        raise self.fail(path, 'expected one scene id (sceneXXXX_XX) a line')
      out[split] = self._generate_examples(root, scenes)
    return out

  def _generate_examples(self, root, scenes):
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    ignore = self.dataset_info.ignore_label
    for scene in sorted(scenes):
      folder = root / scene
      if not (folder / 'color').is_dir():
        raise builders.DatasetFileError(folder / 'color', 'not found', steps)
      for image_path in sorted((folder / 'color').glob('*.jpg')):
        label_path = folder / 'label' / f'{image_path.stem}.png'
        labels = builders.read_labels(label_path, steps)
        if labels.max(initial=0) > _NUM_CLASSES:
          raise self.fail(label_path, f'has label {labels.max()} > {_NUM_CLASSES}: '
                          'expected NYU40 ids as in scannet_frames_25k, not raw '
                          'ScanNet ids')
        image = builders.read_image(image_path, steps)
        height, width = labels.shape
        if image.shape[:2] != (height, width):
          image = np.asarray(Image.fromarray(image).resize((width, height), Image.BILINEAR))
        segmentation = np.where(labels == 0, ignore, labels - 1)
        yield f'{scene}/{image_path.stem}', self.example(image, segmentation=segmentation)
