"""ADE20K scene parsing (the 150-class MIT Scene Parsing benchmark).

Reads the official `ADEChallengeData2016` release: JPEG images and 8-bit
grey PNG annotations whose value 0 means "other / unlabelled" and 1..150 the
classes. Labels shift by -1, so class ids are 0..149 (names in the
catalogue) and "other" becomes the ignore label 255, as the usual 150-class
protocol evaluates.

TFDS's `scene_parse150` reads a different archive (`annotations_instance`,
downloaded from the web) and yields raw annotations, so this builder is our
own rather than built on it.
"""

import numpy as np
import tensorflow_datasets as tfds

from transfer.data import builders

_SPLITS = {'train': 'training', 'validation': 'validation'}


class Ade20k(builders.ManualBuilder):
  """ADE20K semantic segmentation (150 classes) in the project's example format."""

  CATALOG_NAME = 'ade20k'
  VERSION = tfds.core.Version('1.1.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.',
                   '1.1.0': 'Clear errors for missing and malformed files.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  1. Download ADEChallengeData2016.zip (about 923 MB) from the MIT Scene
     Parsing benchmark (http://sceneparsing.csail.mit.edu/, "Data":
     http://data.csail.mit.edu/places/ADEchallenge/ADEChallengeData2016.zip).
  2. Unzip it into the manual dir, so that these exist:
       <manual_dir>/ADEChallengeData2016/images/training/ADE_train_00000001.jpg
       <manual_dir>/ADEChallengeData2016/annotations/training/ADE_train_00000001.png
       <manual_dir>/ADEChallengeData2016/images/validation/ADE_val_00000001.jpg
       <manual_dir>/ADEChallengeData2016/annotations/validation/ADE_val_00000001.png
     (manual_dir defaults to <data_dir>/downloads/manual/).
  3. python -m transfer.data.build ade20k --manual_dir=<manual_dir>
  """

  def _split_generators(self, dl_manager):
    root = self.manual_path(dl_manager, 'ADEChallengeData2016', directory=True)
    return {split: self._generate_examples(root, folder)
            for split, folder in _SPLITS.items()}

  def _generate_examples(self, root, folder):
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    for image_path in sorted((root / 'images' / folder).glob('*.jpg')):
      key = image_path.stem
      image = builders.read_image(image_path, steps)
      labels = builders.read_labels(root / 'annotations' / folder / f'{key}.png', steps)
      yield key, self.example(
          image, segmentation=np.where(labels == 0, self.dataset_info.ignore_label, labels - 1))
