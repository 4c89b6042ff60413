"""ADE20K scene parsing (the 150-class MIT Scene Parsing benchmark).

Reads the official `ADEChallengeData2016` release: JPEG images and PNG
annotations whose value 0 means "other / unlabelled" and 1..150 the classes.
We shift labels by -1 so class ids are 0..149 (names in the catalogue) and "other" becomes the
ignore label 255, as the usual 150-class protocol evaluates.
"""

import os

import numpy as np
from PIL import Image
import tensorflow_datasets as tfds

from transfer.data import features

IGNORE_LABEL = 255
_SPLITS = {'train': 'training', 'validation': 'validation'}


class Ade20k(tfds.core.GeneratorBasedBuilder):
  """ADE20K semantic segmentation in the project's example format."""

  VERSION = tfds.core.Version('1.0.0')
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  1. Download ADEChallengeData2016.zip (about 923 MB) from the MIT Scene
     Parsing benchmark page (http://sceneparsing.csail.mit.edu/, "Data").
  2. Unzip it into the manual dir, so that these exist:
       <manual_dir>/ADEChallengeData2016/images/training/ADE_train_00000001.jpg
       <manual_dir>/ADEChallengeData2016/annotations/training/ADE_train_00000001.png
       <manual_dir>/ADEChallengeData2016/images/validation/ADE_val_00000001.jpg
     (manual_dir defaults to <data_dir>/downloads/manual/).
  3. Run: tfds build datasets/ade20k/ade20k.py --manual_dir=<manual_dir>
  """

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, description=__doc__,
                                 features=features.example_features(0))

  def _split_generators(self, dl_manager):
    root = os.path.join(dl_manager.manual_dir, 'ADEChallengeData2016')
    if not os.path.isdir(os.path.join(root, 'images')):
      raise FileNotFoundError(
          f'{root}/images not found. Manual download steps:'
          f'{self.MANUAL_DOWNLOAD_INSTRUCTIONS}')
    return {split: self._generate_examples(root, folder) for split, folder in _SPLITS.items()}

  def _generate_examples(self, root, folder):
    image_dir = os.path.join(root, 'images', folder)
    for filename in sorted(os.listdir(image_dir)):
      key = os.path.splitext(filename)[0]
      image = np.asarray(Image.open(os.path.join(image_dir, filename)).convert('RGB'))
      labels = np.asarray(Image.open(os.path.join(root, 'annotations', folder, key + '.png')))
      segmentation = np.where(labels == 0, IGNORE_LABEL, labels.astype(np.int32) - 1)
      example = features.empty_annotations(*image.shape[:2], 0, IGNORE_LABEL)
      example.update(image=image, has_segmentation=True,
                     segmentation=segmentation.astype(np.uint16)[..., None])
      yield key, example
