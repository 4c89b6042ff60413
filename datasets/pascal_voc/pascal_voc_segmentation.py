"""Pascal VOC 2012 semantic segmentation (20 object classes + background).

Reads the official `VOCtrainval_11-May-2012.tar`, extracted:

  VOCdevkit/VOC2012/ImageSets/Segmentation/{train,val}.txt  image ids, one a line
  VOCdevkit/VOC2012/JPEGImages/<id>.jpg                     RGB photos
  VOCdevkit/VOC2012/SegmentationClass/<id>.png              class labels

The label PNGs are palette ('P' mode) images: the pixel values are palette
*indices* and the palette only colours them for viewing (index 1, aeroplane,
shows as dark red). Index v in 0..20 is a class (0 = background, then the
20 classes in VOC's order); index 255 marks void (object borders and
regions left unlabelled as difficult) and is always the ignore label 255.
Any other index means the file is not an official label map and fails the
build. The indices are read directly, never the colours, so a palette
change cannot shift classes. Two configs decide what background is:

`standard` (catalogue `pascal_voc`): background is trained as a class,
  the community's common choice (VOC's 21 classes, as its benchmark scores
  them): index v is class v.
`foi` (catalogue `pascal_voc_foi`): as the Factors of Influence paper's
  builder (`factors_of_influence/fids/pascal.py`, PascalVOC on MSeg's
  `voc2012` copy, through `fids/mseg_base.py`): its class 0 'background'
  holds background and also void (`utils.convert_segmentation_map` sends
  a value its name list lacks, void's 255, to 0), and is read as ignored:
  index 0 and 255 are the ignore label 255, and index v in 1..20 is class
  v - 1 (the 20 names of `fids_metadata_segmentation.py`,
  fids_pascal_voc2012, in VOC's order).

Splits (both configs): the official segmentation lists, `train` (1464
images) and `val` (1449) as `validation`; the SBD "train_aug" extension is
not part of this download and is not used. Not confirmed without MSeg's
files (its `dataset_lists/voc2012/` name and split lists were not
available to check): that its name list is background then VOC's 20
classes, as the metadata's is, and which images its train list holds (MSeg's
download script fetches the SBD-augmented `SegmentationClassAug` labels, so
the paper may have trained on train_aug's 10,582 images, not 1464).

TFDS's `voc` (config `2012`) downloads the same tar but parses only the
detection XMLs (`Annotations/`), not `SegmentationClass/`, so there is no
parsing code to share; this builder reads the extracted folder.
`SegmentationObject/` (instance ids) is not read: the catalogue entry has no
object annotations, only segmentation.
"""

import tensorflow_datasets as tfds

from transfer.data import builders

_NUM_CLASSES = 21
_VOID = 255
# Our split -> the official ImageSets/Segmentation list.
_SPLITS = {'train': 'train', 'validation': 'val'}


class PascalVocSegmentation(builders.ManualBuilder):
  """Pascal VOC 2012 semantic segmentation (21 or 20 classes) in the project's example format."""

  BUILDER_CONFIGS = [
      tfds.core.BuilderConfig(
          name='standard', description='21 classes: background trained as a class.'),
      tfds.core.BuilderConfig(
          name='foi', description="20 classes as the FoI paper's builder: background and "
          'void ignored.'),
  ]
  CATALOG_NAMES = {'standard': 'pascal_voc', 'foi': 'pascal_voc_foi'}
  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  1. Download VOCtrainval_11-May-2012.tar (about 2 GB) from the PASCAL VOC 2012
     page (http://host.robots.ox.ac.uk/pascal/VOC/voc2012/, "Development Kit",
     "training/validation data":
     http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar).
  2. Extract it into the manual dir (tar -xf VOCtrainval_11-May-2012.tar -C <manual_dir>),
     so that these exist:
       <manual_dir>/VOCdevkit/VOC2012/ImageSets/Segmentation/train.txt
       <manual_dir>/VOCdevkit/VOC2012/ImageSets/Segmentation/val.txt
       <manual_dir>/VOCdevkit/VOC2012/JPEGImages/2007_000032.jpg
       <manual_dir>/VOCdevkit/VOC2012/SegmentationClass/2007_000032.png
     (manual_dir defaults to <data_dir>/downloads/manual/).
  3. python -m transfer.data.build pascal_voc --manual_dir=<manual_dir>
     python -m transfer.data.build pascal_voc_foi --manual_dir=<manual_dir>
     (the same download serves both)
  """

  def _split_generators(self, dl_manager):
    root = self.manual_path(dl_manager, 'VOCdevkit', 'VOC2012', directory=True)
    return {split: self._generate_examples(root, list_name)
            for split, list_name in _SPLITS.items()}

  def _read_ids(self, path) -> list[str]:
    ids = builders.read_text(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS).split()
    if not ids:
      raise self.fail(path, 'lists no image ids')
    return ids

  def _generate_examples(self, root, list_name):
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    ignore = self.dataset_info.ignore_label
    # Index -> class id (void, past the table, -> ignore); foi: background
    # ignored too, the 20 classes one lower.
    table = list(range(_NUM_CLASSES))
    if self.builder_config.name == 'foi':
      table = [ignore] + table[:-1]
    for image_id in self._read_ids(root / 'ImageSets' / 'Segmentation' / f'{list_name}.txt'):
      image = builders.read_image(root / 'JPEGImages' / f'{image_id}.jpg', steps)
      label_path = root / 'SegmentationClass' / f'{image_id}.png'
      raw = builders.read_labels(label_path, steps)
      if raw.shape != image.shape[:2]:
        raise self.fail(label_path, f'has size {raw.shape}, its image {image.shape[:2]}')
      bad = (raw >= _NUM_CLASSES) & (raw != _VOID)
      if bad.any():
        raise self.fail(label_path, f'has label values {sorted(set(raw[bad].tolist()))[:5]} '
                        f'outside 0..{_NUM_CLASSES - 1} and {_VOID} (void)')
      yield image_id, self.example(image, segmentation=builders.remap(raw, table, ignore))
