"""PASCAL-Context semantic segmentation: 59 classes, with background as a 60th or ignored.

Reads the official PASCAL-Context release (Mottaghi et al., CVPR 2014) on top
of the PASCAL VOC 2010 images:

  trainval/<id>.mat   one MATLAB (v5) file per VOC 2010 trainval image; its
                      variable `LabelMap` (uint16, image-sized) holds ids into
                      the 459 full classes, 0 = unlabelled.
  labels.txt          the 459 full classes, lines `<id>: <name>` (ids from 1).
  59_labels.txt       the 59 frequent classes, lines `<id>: <name>`.
  VOCdevkit/VOC2010/JPEGImages/<id>.jpg and ImageSets/Main/{train,val}.txt
                      from the VOC 2010 trainval tar.

Classes: the 460 -> 60 table (0 = background, then the 59 classes in the
order of `CLASS_NAMES` in `__init__.py`, the usual 60-class benchmark's and
the paper's builder's) is built from the names, as the release intends:
each name of 59_labels.txt is matched to one of the 59 classes, and the
labels.txt id with that class's name gets its id. Names compare in lower
case without spaces or punctuation, and 59_labels.txt's three spellings
that differ from labels.txt ('diningtable', 'bedcloth', 'clothes' for
'table', 'bedclothes', 'cloth', resolved the same way by the FCN reference
code) are taken as those classes. The other 400 classes and the unlabelled
value 0 are background. A `LabelMap` value that labels.txt does not list,
a 59_labels.txt that does not name exactly the 59 classes, or a class name
that labels.txt lacks or lists twice fails the build, naming the file. Two
configs decide what background is:

`standard` (catalogue `pascal_context`): background is trained as a class,
  the community's common choice (the 60-class protocol; a 59-class one
  that ignores background is also in use): id 0, the 59 classes 1..59, so
  no pixel is void (`ignore_label` 255 only matters for padding).
`foi` (catalogue `pascal_context_foi`): as the Factors of Influence paper's
  builder (`factors_of_influence/fids/pascal.py`, PascalContext on MSeg's
  `pascal-context-60` copy through `fids/mseg_base.py`; its 60 names in
  `fids_metadata_segmentation.py`, fids_pascal_context): its class 0
  'background' (MSeg's 'background' and the names it treats as background,
  'unlabeled' / 'Unlabeled', plus any value outside MSeg's name list) is
  read as ignored, so background is the ignore label 255 and the 59
  classes are 0..58, in the same order. MSeg's `pascal-context-60_names.txt`
  is alphabetical with 'background' second; the paper's builder re-sorts it
  to background first, which gives our order.

Splits (both configs): the standard 4998 / 5105 protocol is VOC 2010's own
`ImageSets/Main/train.txt` and `val.txt` (all 10103 trainval images carry
context labels): `train` and `validation`. MSeg's `pascal-context-60` lists,
which the paper's builder read, hold as many images (4999 train lines, the
first image repeated at the end, and 5105 val lines); we did not compare
them image by image.

Not confirmed without MSeg's prepared labels (`Segmentation_GT_60cls/`):
that they give the 400 rare classes and unlabelled pixels to 'background'
or to 255 (both the paper's class 0, as in our table), not to one of the
59 classes.

TFDS ships no PASCAL-Context builder, and its `voc` builder (2007 and 2012
only) parses detection XMLs, so there is nothing to build on here.
"""

import re

import numpy as np
import tensorflow_datasets as tfds

from transfer.data import builders
from transfer_datasets.pascal_context import CLASS_NAMES

# Our split -> VOC 2010's ImageSets/Main list.
_SPLITS = {'train': 'train', 'validation': 'val'}
# 59_labels.txt spellings (normalised) of classes labels.txt names otherwise.
_ALIASES = {'diningtable': 'table', 'bedcloth': 'bedclothes', 'clothes': 'cloth'}
_LINE = re.compile(r'^\s*(\d+)\s*:\s*(.*?)\s*$')


def _normalise(name: str) -> str:
  return re.sub(r'[^0-9a-z]', '', name.lower())


class PascalContext(builders.ManualBuilder):
  """PASCAL-Context semantic segmentation (59 classes, + background) in our example format."""

  BUILDER_CONFIGS = [
      tfds.core.BuilderConfig(
          name='standard', description='60 classes: background trained as a class.'),
      tfds.core.BuilderConfig(
          name='foi', description="59 classes as the FoI paper's builder: background ignored."),
  ]
  CATALOG_NAMES = {'standard': 'pascal_context', 'foi': 'pascal_context_foi'}
  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  1. From the PASCAL-Context page (https://cs.stanford.edu/~roozbeh/pascal-context/)
     download trainval.tar.gz ("Train/Val annotations",
     https://cs.stanford.edu/~roozbeh/pascal-context/trainval.tar.gz) and
     59_labels.txt (https://cs.stanford.edu/~roozbeh/pascal-context/59_labels.txt).
  2. Download the PASCAL VOC 2010 training/validation images,
     VOCtrainval_03-May-2010.tar (about 1.3 GB), from
     http://host.robots.ox.ac.uk/pascal/VOC/voc2010/ ("Development Kit":
     http://host.robots.ox.ac.uk/pascal/VOC/voc2010/VOCtrainval_03-May-2010.tar).
  3. Extract both archives into the manual dir and put 59_labels.txt beside
     labels.txt:
       tar -xzf trainval.tar.gz -C <manual_dir>
       tar -xf VOCtrainval_03-May-2010.tar -C <manual_dir>
       cp 59_labels.txt <manual_dir>/
     (labels.txt, the 459 full class names, comes in trainval.tar.gz; if
     your copy lacks it, fetch it from the same page), so that these exist:
       <manual_dir>/trainval/2008_000002.mat
       <manual_dir>/labels.txt
       <manual_dir>/59_labels.txt
       <manual_dir>/VOCdevkit/VOC2010/JPEGImages/2008_000002.jpg
       <manual_dir>/VOCdevkit/VOC2010/ImageSets/Main/train.txt
       <manual_dir>/VOCdevkit/VOC2010/ImageSets/Main/val.txt
     (manual_dir defaults to <data_dir>/downloads/manual/).
  4. python -m transfer.data.build pascal_context --manual_dir=<manual_dir>
     python -m transfer.data.build pascal_context_foi --manual_dir=<manual_dir>
     (the same download serves both)
  """

  def _split_generators(self, dl_manager):
    voc = self.manual_path(dl_manager, 'VOCdevkit', 'VOC2010', directory=True)
    mats = self.manual_path(dl_manager, 'trainval', directory=True)
    table = self.class_table(self.manual_path(dl_manager, 'labels.txt'),
                             self.manual_path(dl_manager, '59_labels.txt'))
    if self.builder_config.name == 'foi':  # Background ignored, the 59 one lower.
      table = np.where(table == 0, self.dataset_info.ignore_label, table - 1)
    return {split: self._generate_examples(voc, mats, list_name, table)
            for split, list_name in _SPLITS.items()}

  # ------------------------------------------------------------ classes --

  def _read_label_list(self, path) -> dict[int, str]:
    """`<id>: <name>` lines -> {id: name}."""
    out = {}
    for number, line in enumerate(
        builders.read_text(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS).splitlines(), 1):
      if not line.strip():
        continue
      match = _LINE.match(line)
      if not match or not match.group(2):
        raise self.fail(path, f'line {number} is not "<id>: <name>": {line!r}')
      label_id = int(match.group(1))
      if label_id in out:
        raise self.fail(path, f'lists id {label_id} twice')
      out[label_id] = match.group(2)
    if not out:
      raise self.fail(path, 'lists no classes')
    return out

  def class_table(self, full_path, subset_path) -> np.ndarray:
    """[max full id + 1] -> class id of the 60 (0 = background, `standard`'s ids)."""
    ours = {_normalise(name): i for i, name in enumerate(CLASS_NAMES)}
    wanted = set()
    for name in self._read_label_list(subset_path).values():
      key = _normalise(name)
      key = key if key in ours else _ALIASES.get(key, key)
      if key == 'background':
        continue
      if key not in ours:
        raise self.fail(subset_path, f'names {name!r}, none of the 59 classes '
                        f'{CLASS_NAMES[1:]}')
      wanted.add(key)
    missing = [name for name in CLASS_NAMES[1:] if _normalise(name) not in wanted]
    if missing:
      raise self.fail(subset_path, f'does not name the classes {missing}')

    full = self._read_label_list(full_path)
    if min(full) < 1:
      raise self.fail(full_path, f'has id {min(full)}; ids start at 1 (0 = unlabelled)')
    table = np.zeros(max(full) + 1, np.int64)
    found = {}
    for label_id, name in full.items():
      key = _normalise(name)
      if key in wanted:
        if key in found:
          raise self.fail(full_path, f'names class {name!r} twice (ids {found[key]}, {label_id})')
        found[key] = label_id
        table[label_id] = ours[key]
    missing = sorted(wanted - set(found))
    if missing:
      raise self.fail(full_path, f'has no class named {missing} (named in {subset_path.name})')
    return table

  # ----------------------------------------------------------- examples --

  def _read_label_map(self, path) -> np.ndarray:
    mat = builders.read_mat(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS, ('LabelMap',))
    labels = np.asarray(mat['LabelMap'])
    if labels.ndim != 2 or labels.dtype.kind not in 'ui':
      raise self.fail(path, f'LabelMap is {labels.dtype} {labels.shape}, not a 2-D integer map')
    return labels.astype(np.int64)

  def _generate_examples(self, voc, mats, list_name, table):
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    list_path = voc / 'ImageSets' / 'Main' / f'{list_name}.txt'
    ids = builders.read_text(list_path, steps).split()
    if not ids:
      raise self.fail(list_path, 'lists no image ids')
    for image_id in ids:
      image = builders.read_image(voc / 'JPEGImages' / f'{image_id}.jpg', steps)
      mat_path = mats / f'{image_id}.mat'
      raw = self._read_label_map(mat_path)
      if raw.shape != image.shape[:2]:
        raise self.fail(mat_path, f'LabelMap has size {raw.shape}, its image {image.shape[:2]}')
      bad = (raw < 0) | (raw >= len(table))
      if bad.any():
        raise self.fail(mat_path, f'LabelMap has values {sorted(set(raw[bad].tolist()))[:5]} '
                        f'that labels.txt does not list (ids 1..{len(table) - 1}, 0 = unlabelled)')
      yield image_id, self.example(image, segmentation=table[raw])
