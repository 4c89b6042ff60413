"""Cityscapes semantic segmentation, fine annotations, 19 classes.

Reads the two official archives as downloaded, in place (not extracted):
  leftImg8bit_trainvaltest.zip: 8-bit RGB PNGs
    leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png
  gtFine_trainvaltest.zip: 8-bit grey PNGs of the 34 Cityscapes label ids
    gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png
    (their `_color.png`, `_instanceIds.png` and `_polygons.json` siblings,
    and the archives' README and license files, are not read).

Labels: label ids map to the 19 train ids of the official `labels.py`
(cityscapesScripts): road 7 -> 0, sidewalk 8 -> 1, building 11 -> 2, wall 12,
fence 13, pole 17, traffic light 19, traffic sign 20, vegetation 21, terrain
22, sky 23, person 24, rider 25, car 26, truck 27, bus 28, train 31,
motorcycle 32, bicycle 33 -> 18. Every other id (unlabeled 0, ego vehicle,
rectification border, out of roi, static, dynamic, ground, parking, rail
track, guard rail, bridge, tunnel, polegroup, caravan, trailer, and any value
above 33) becomes the ignore label 255, as the 19-class benchmark evaluates.
(License plates, id -1, are never drawn into the PNGs: their pixels carry
the vehicle's id.)

Splits: the official train (2975 images) and val (500) splits as `train` and
`validation`. The test split is not built: its public label files are
placeholders without annotations.

Built on TFDS's `cityscapes` builder (tensorflow_datasets/datasets/cityscapes),
which reads the same two zips from the same manual dir. Taken from it rather
than restated: the archive names and their root folders
(`CityscapesConfig.zip_root` of its `semantic_segmentation` config), the label
file suffix (`label_suffix`, `gtFine_labelIds`) and the image-id parsing of
file names (`LEFT_IMAGE_FILE_RE`, `<city>_<seq>_<frame>`). Added here: the
zips are read in place (TFDS first extracts them, about 11 GB, into
<data_dir>/downloads/extracted), examples come in sorted order, the
labelId -> trainId mapping (TFDS yields raw label ids), images of any size
(TFDS fixes 1024x2048), errors that name the broken file or archive member,
and the project's example format. It does not subclass TFDS's builder, whose
`_info` and features are the raw Cityscapes ones.
"""


import tensorflow_datasets as tfds
from tensorflow_datasets.datasets.cityscapes import cityscapes_dataset_builder as tfds_cityscapes

from transfer.data import builders

_TFDS_CONFIG = next(config for config in tfds_cityscapes.Builder.BUILDER_CONFIGS
                    if config.name == 'semantic_segmentation')
IMAGES_ZIP, IMAGES_ROOT = _TFDS_CONFIG.zip_root['images_left']
LABELS_ZIP, LABELS_ROOT = _TFDS_CONFIG.zip_root['segmentation_labels']
LABEL_SUFFIX = _TFDS_CONFIG.label_suffix  # 'gtFine_labelIds'

# Our split name -> the folder inside both archives.
_SPLITS = {'train': 'train', 'validation': 'val'}

# Cityscapes label id -> train id (official labels.py); the rest are ignored.
TRAIN_IDS = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8,
             22: 9, 23: 10, 24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16,
             32: 17, 33: 18}

class CityscapesFine(builders.ManualBuilder):
  """Cityscapes semantic segmentation (fine, 19 classes) in the project's example format."""

  CATALOG_NAME = 'cityscapes'
  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = f"""
  1. Register and log in at https://www.cityscapes-dataset.com/ and download,
     from https://www.cityscapes-dataset.com/downloads/ :
       {IMAGES_ZIP} (11 GB, "leftImg8bit_trainvaltest.zip")
       {LABELS_ZIP} (241 MB, "gtFine_trainvaltest.zip")
  2. Put both zips, as downloaded (do not extract them), directly in the
     manual dir; these are the files TFDS's own `cityscapes` builder reads:
       <manual_dir>/{IMAGES_ZIP}
       <manual_dir>/{LABELS_ZIP}
     (manual_dir defaults to <data_dir>/downloads/manual/).
  3. python -m transfer.data.build cityscapes --manual_dir=<manual_dir>
  """

  def _split_generators(self, dl_manager):
    images = self.manual_path(dl_manager, IMAGES_ZIP)
    labels = self.manual_path(dl_manager, LABELS_ZIP)
    return {split: self._generate_examples(images, labels, folder)
            for split, folder in _SPLITS.items()}

  def _generate_examples(self, images_zip, labels_zip, folder):
    ignore = self.dataset_info.ignore_label
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    with builders.ZipArchive(images_zip, steps) as images, \
         builders.ZipArchive(labels_zip, steps) as labels:
      image_members = images.index(rf'(?:^|/){IMAGES_ROOT}/{folder}/([^/]+)/([^/]+)$')
      label_members = labels.index(rf'(?:^|/){LABELS_ROOT}/{folder}/([^/]+)/([^/]+)$')
      for (city, file_name), image_member in sorted(image_members.items()):
        match = tfds_cityscapes.LEFT_IMAGE_FILE_RE.match(file_name)
        if not match:  # not a left image
          continue
        image_id = '{}_{}_{}'.format(*match.groups())
        label_name = f'{image_id}_{LABEL_SUFFIX}.png'
        label_member = label_members.get((city, label_name))
        if label_member is None:
          raise self.fail(labels_zip, f'has no member {LABELS_ROOT}/{folder}/{city}/{label_name}')
        image = images.image(image_member)
        label_ids = labels.labels(label_member)
        labels.check_size(label_member, label_ids, image)
        yield image_id, self.example(
            image, segmentation=builders.remap(label_ids, TRAIN_IDS, ignore))
