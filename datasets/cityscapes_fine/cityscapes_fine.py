"""Cityscapes semantic segmentation, fine annotations: 19 or 32 classes.

Reads the two official archives as downloaded, in place (not extracted):
  leftImg8bit_trainvaltest.zip: 8-bit RGB PNGs
    leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png
  gtFine_trainvaltest.zip: 8-bit grey PNGs of the 34 Cityscapes label ids
    gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png
    (their `_color.png`, `_instanceIds.png` and `_polygons.json` siblings,
    and the archives' README and license files, are not read).
(License plates, id -1, are never drawn into the PNGs: their pixels carry
the vehicle's id.) Two configs decide which label ids are classes:

`train_ids` (catalogue `cityscapes`): the 19 train ids of the official
  `labels.py` (cityscapesScripts): road 7 -> 0, sidewalk 8 -> 1, building
  11 -> 2, wall 12, fence 13, pole 17, traffic light 19, traffic sign 20,
  vegetation 21, terrain 22, sky 23, person 24, rider 25, car 26, truck 27,
  bus 28, train 31, motorcycle 32, bicycle 33 -> 18. Every other id
  (unlabeled 0, ego vehicle, rectification border, out of roi, static,
  dynamic, ground, parking, rail track, guard rail, bridge, tunnel,
  polegroup, caravan, trailer, and any value above 33) becomes the ignore
  label 255, as the 19-class benchmark evaluates.
`foi` (catalogue `cityscapes_foi`): as the Factors of Influence paper's
  builder, `factors_of_influence/fids/cityscapes.py` (google-research),
  through `fids/mseg_base.py`. Its `segmentation` feature reads MSeg's
  `cityscapes-34` labels, whose name list (mseg-api
  `dataset_lists/cityscapes-34/cityscapes-34_names.txt`) is the 34 label
  ids in id order; it drops 'unlabeled' (0) and 'out of roi' (3) into its
  class 0 'background' and numbers the other 32 in id order. Here
  background is the ignore label 255 (with any value above 33, which the
  paper's `utils.convert_segmentation_map` also sends to 0), and the 32
  classes are 0..31: ego vehicle 1 -> 0, rectification border 2 -> 1,
  static 4 -> 2, dynamic 5 -> 3, ..., bicycle 33 -> 31 (label id - 2 from
  4 on), named as `fids_metadata_segmentation.py` (fids_city_scapes).
  Not confirmed without MSeg's files: its cityscapes-34 train/val lists were
  not available to read, only that its remapping script derives the 19
  classes from these label ids; we take the label PNGs it lists to be the
  official `gtFine_labelIds` ones, unchanged.

Splits (both configs): the official train (2975 images) and val (500)
splits as `train` and `validation`. The paper's builder takes its images
from MSeg's `cityscapes-19` lists; the val list is the 500 official val
frames (its size matches them exactly; the train list was not read). The
test split is not built: its public label files are placeholders without
annotations.

Built on TFDS's `cityscapes` builder (tensorflow_datasets/datasets/cityscapes),
which reads the same two zips from the same manual dir. Taken from it rather
than restated: the archive names and their root folders
(`CityscapesConfig.zip_root` of its `semantic_segmentation` config), the label
file suffix (`label_suffix`, `gtFine_labelIds`) and the image-id parsing of
file names (`LEFT_IMAGE_FILE_RE`, `<city>_<seq>_<frame>`). Added here: the
zips are read in place (TFDS first extracts them, about 11 GB, into
<data_dir>/downloads/extracted), examples come in sorted order, the
label id mappings (TFDS yields raw label ids), images of any size
(TFDS fixes 1024x2048), errors that name the broken file or archive member,
and the project's example format. It does not subclass TFDS's builder, whose
`_info` and features are the raw Cityscapes ones.
"""


import tensorflow_datasets as tfds
from tensorflow_datasets.datasets.cityscapes import cityscapes_dataset_builder as tfds_cityscapes

from transfer.data import builders
from transfer_datasets.cityscapes_fine import FOI_CLASS_NAMES
from transfer_datasets.cityscapes_fine import LABEL_NAMES

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
# Cityscapes label id -> the paper's class - 1 (FOI_CLASS_NAMES); its
# background (unlabeled, out of roi) is ignored.
FOI_IDS = {label_id: FOI_CLASS_NAMES.index(name) for label_id, name in enumerate(LABEL_NAMES)
           if name in FOI_CLASS_NAMES}
# Config name -> label id mapping (kitti_segmentation's configs share them).
LABEL_MAPS = {'train_ids': TRAIN_IDS, 'foi': FOI_IDS}
LABEL_CONFIGS = [
    tfds.core.BuilderConfig(name='train_ids', description='The 19 Cityscapes train ids.'),
    tfds.core.BuilderConfig(
        name='foi', description="32 classes as the FoI paper's builder: Cityscapes' 34 "
        'label ids without unlabeled and out of roi.'),
]


class CityscapesFine(builders.ManualBuilder):
  """Cityscapes semantic segmentation (fine, 19 or 32 classes) in the project's example format."""

  BUILDER_CONFIGS = LABEL_CONFIGS
  CATALOG_NAMES = {'train_ids': 'cityscapes', 'foi': 'cityscapes_foi'}
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
     python -m transfer.data.build cityscapes_foi --manual_dir=<manual_dir>
     (the same two zips serve both)
  """

  def _split_generators(self, dl_manager):
    images = self.manual_path(dl_manager, IMAGES_ZIP)
    labels = self.manual_path(dl_manager, LABELS_ZIP)
    return {split: self._generate_examples(images, labels, folder)
            for split, folder in _SPLITS.items()}

  def _generate_examples(self, images_zip, labels_zip, folder):
    ignore = self.dataset_info.ignore_label
    label_map = LABEL_MAPS[self.builder_config.name]
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
            image, segmentation=builders.remap(label_ids, label_map, ignore))
