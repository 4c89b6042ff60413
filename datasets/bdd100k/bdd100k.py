"""BDD100K (Berkeley DeepDrive): semantic segmentation and object detection.

Three configs read parts of the official release, extracted as the
download portal ships them (every archive unpacks into a `bdd100k/` folder):

`segmentation` (catalogue `bdd100k_segmentation`): the 10K images
  (`bdd100k/images/10k/{train,val}/<name>.jpg`) and the semantic
  segmentation masks (`bdd100k/labels/sem_seg/masks/{train,val}/<name>.png`):
  single-channel 8-bit PNGs whose value is the class id 0..18 (the 19
  Cityscapes train-id classes, names in the catalogue) and 255 "unknown".
  Values are kept as they are; 255 is our ignore label. Any other value, a
  colour image (e.g. `colormaps/` given instead of `masks/`) or a mask whose
  size differs from its image is reported as a malformed file. The labelled
  set is the set of masks: each mask must have its image; images without a
  mask (the 10K folder also serves other tasks) are not read. The `test`
  images have no public labels and are not built.

`detection` (catalogue `bdd100k_detection`): the 100K images
  (`bdd100k/images/100k/{train,val}/<name>.jpg`) and the Detection 2020
  labels (`bdd100k/labels/det_20/det_{train,val}.json`), in the Scalabel
  format: a JSON list of frames `{name, attributes, timestamp, labels}`, each
  label `{id, category, attributes{occluded, truncated, trafficLightColor,
  crowd?}, box2d{x1, y1, x2, y2}}` in pixels. One example per frame of the
  JSON (frames without `labels` are images without objects); images not in
  the JSON are not read. Scalabel boxes include their last pixel (BDD100K's
  COCO conversion takes width = x2 - x1 + 1), so the box is x1..x2 + 1 in
  our continuous pixel convention. Categories follow BDD100K's own evaluation
  config (`bdd100k/configs/det.toml`): the 10 evaluated classes (ids in
  catalogue order); legacy names are renamed (bike -> bicycle, motor ->
  motorcycle, person -> pedestrian, caravan/van -> car); "other person",
  "other vehicle" and "trailer" become pedestrian, car and truck boxes marked
  `is_crowd`, as BDD100K's COCO conversion marks them (ignored regions: no
  loss for detections on them, not counted as misses). A box with the `crowd`
  attribute is also `is_crowd`. Any other category, or a label without a
  `box2d`, is a malformed file.

`detection_foi` (catalogue `bdd100k_detection_foi`): detection as the
  Factors of Influence paper's builder defines it
  (`factors_of_influence/fids/berkeley_deep_drive.py`, its DETECTION_100K
  version): the same 100K images and the 2018 labels of the "Labels"
  download (`bdd100k/labels/bdd100k_labels_images_{train,val}.json`), a
  JSON list of frames `{name, attributes, timestamp, labels}` whose labels
  are `{id, category, attributes, manualShape, manualAttributes}` plus a
  `box2d {x1, y1, x2, y2}` (the 10 road-object categories) or a `poly2d`
  (the categories `drivable area` and `lane`); one example per frame, as
  in `detection`. As the paper's builder does, labels without a
  `box2d` are skipped, a box is x1..x2, y1..y2 exactly as the JSON gives it
  (no +1), nothing is a crowd region, and the classes are the 2018
  categories in the paper's (alphabetical) order: bike, bus, car, motor,
  person, rider, traffic light, traffic sign, train, truck (its class 0
  'background' has no boxes). A box of any other category is a malformed
  file (the paper's builder stops there with a KeyError). Boxes are
  normalised by the image's size where the paper's builder divides by a
  fixed 1280x720, the size of every 100K image. The paper's builder also
  makes a `test` split of the unlabelled test images; it is not built here.

TFDS ships no BDD100K builder, so this one is our own.
"""

import json

from etils import epath
import numpy as np
import tensorflow_datasets as tfds

from transfer.data import builders

# Our split -> the release's folder / file suffix.
_SPLITS = {'train': 'train', 'validation': 'val'}

_NUM_SEGMENTATION_CLASSES = 19
_UNKNOWN = 255  # BDD100K's "unknown" mask value.

_DETECTION_CLASSES = (
    'pedestrian', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle',
    'bicycle', 'traffic light', 'traffic sign')
# From BDD100K's det.toml: legacy names of evaluated classes ...
_RENAMED = {'bike': 'bicycle', 'caravan': 'car', 'motor': 'motorcycle',
            'person': 'pedestrian', 'van': 'car'}
# ... and the categories evaluated as ignored regions of a class.
_IGNORED_AS = {'other person': 'pedestrian', 'other vehicle': 'car',
               'trailer': 'truck'}


class Bdd100k(builders.ManualBuilder):
  """BDD100K segmentation (10K images) or detection (100K images)."""

  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  BUILDER_CONFIGS = [
      tfds.core.BuilderConfig(
          name='segmentation',
          description='10K images, 19-class semantic segmentation masks.'),
      tfds.core.BuilderConfig(
          name='detection',
          description='100K images, Detection 2020 boxes of 10 classes.'),
      tfds.core.BuilderConfig(
          name='detection_foi',
          description="100K images, 2018 boxes of 10 classes as the FoI paper's builder."),
  ]
  CATALOG_NAMES = {'segmentation': 'bdd100k_segmentation',
                   'detection': 'bdd100k_detection',
                   'detection_foi': 'bdd100k_detection_foi'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  1. Register and log in at the BDD100K download portal
     (https://bdd-data.berkeley.edu/; the files are described at
     https://doc.bdd100k.com/download.html) and download
       for bdd100k_segmentation: "10K Images" (bdd100k_images_10k.zip) and
         "Semantic Segmentation" (bdd100k_sem_seg_labels_trainval.zip);
       for bdd100k_detection: "100K Images" (bdd100k_images_100k.zip) and
         "Detection 2020 Labels" (bdd100k_det_20_labels_trainval.zip);
       for bdd100k_detection_foi: "100K Images" (bdd100k_images_100k.zip) and
         "Labels", the 2018 labels (bdd100k_labels_release.zip).
  2. Unzip them all into the manual dir (each unpacks into bdd100k/), so that
     these exist:
       <manual_dir>/bdd100k/images/10k/{train,val}/<name>.jpg
       <manual_dir>/bdd100k/labels/sem_seg/masks/{train,val}/<name>.png
       <manual_dir>/bdd100k/images/100k/{train,val}/<name>.jpg
       <manual_dir>/bdd100k/labels/det_20/det_train.json
       <manual_dir>/bdd100k/labels/det_20/det_val.json
       <manual_dir>/bdd100k/labels/bdd100k_labels_images_train.json
       <manual_dir>/bdd100k/labels/bdd100k_labels_images_val.json
     (only the two archives of the entry you build are needed).
  3. python -m transfer.data.build bdd100k_segmentation --manual_dir=<manual_dir>
     python -m transfer.data.build bdd100k_detection --manual_dir=<manual_dir>
     python -m transfer.data.build bdd100k_detection_foi --manual_dir=<manual_dir>
  """

  def _split_generators(self, dl_manager):
    if self.builder_config.name == 'segmentation':
      return {split: self._generate_examples(
          self.manual_path(dl_manager, 'bdd100k', 'images', '10k', folder, directory=True),
          self.manual_path(dl_manager, 'bdd100k', 'labels', 'sem_seg', 'masks', folder,
                           directory=True))
              for split, folder in _SPLITS.items()}
    if self.builder_config.name == 'detection':
      labels = lambda folder: ('det_20', f'det_{folder}.json')
    else:
      labels = lambda folder: (f'bdd100k_labels_images_{folder}.json',)
    return {split: self._generate_examples(
        self.manual_path(dl_manager, 'bdd100k', 'images', '100k', folder, directory=True),
        self.manual_path(dl_manager, 'bdd100k', 'labels', *labels(folder)))
            for split, folder in _SPLITS.items()}

  def _generate_examples(self, image_dir: epath.Path, labels_path: epath.Path):
    """(key, example) of one split: the images of `image_dir` that
    `labels_path` (a mask folder or a detection JSON) annotates."""
    if self.builder_config.name == 'segmentation':
      yield from self._generate_segmentation(image_dir, labels_path)
    else:
      yield from self._generate_detection(image_dir, labels_path)

  # ------------------------------------------------------------ segmentation

  def _generate_segmentation(self, image_dir: epath.Path, mask_dir: epath.Path):
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    masks = sorted(mask_dir.glob('*.png'))
    if not masks:
      raise self.fail(mask_dir, 'has no *.png masks')
    ignore = self.dataset_info.ignore_label
    for mask_path in masks:
      key = mask_path.stem
      image = builders.read_image(image_dir / f'{key}.jpg', steps)
      labels = builders.read_labels(mask_path, steps)
      if labels.shape != image.shape[:2]:
        raise self.fail(mask_path, f'mask size {labels.shape} differs from its '
                        f'image {image.shape[:2]}')
      unknown = labels == _UNKNOWN
      bad = ~unknown & ((labels < 0) | (labels >= _NUM_SEGMENTATION_CLASSES))
      if bad.any():
        raise self.fail(mask_path, f'has label values {np.unique(labels[bad]).tolist()[:8]}; '
                        f'expected 0..{_NUM_SEGMENTATION_CLASSES - 1} and {_UNKNOWN}')
      yield key, self.example(image, segmentation=np.where(unknown, ignore, labels))

  # --------------------------------------------------------------- detection

  def _generate_detection(self, image_dir: epath.Path, json_path: epath.Path):
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    try:
      frames = json.loads(builders.read_text(json_path, steps))
    except json.JSONDecodeError as e:
      raise self.fail(json_path, f'is not valid JSON ({e})') from e
    if not isinstance(frames, list):
      raise self.fail(json_path, 'is not a JSON list of frames')
    for index, frame in enumerate(frames):
      if not isinstance(frame, dict) or not isinstance(frame.get('name'), str):
        raise self.fail(json_path, f'frame {index} has no "name"')
      name = frame['name']
      parse = self._parse_labels if self.builder_config.name == 'detection' else self._parse_foi
      boxes, labels, crowd = parse(json_path, name, frame.get('labels') or [])
      image = builders.read_image(image_dir / name, steps)
      yield epath.Path(name).stem, self.example(
          image, boxes=boxes, labels=labels, is_crowd=crowd)

  def _parse_labels(self, json_path, name, raw_labels):
    class_ids = {c: i for i, c in enumerate(_DETECTION_CLASSES)}
    boxes, labels, crowd = [], [], []
    for label in raw_labels:
      category = _RENAMED.get(label.get('category'), label.get('category'))
      ignored = category in _IGNORED_AS
      category = _IGNORED_AS.get(category, category)
      if category not in class_ids:
        raise self.fail(json_path, f'frame {name}: unknown category '
                        f'{label.get("category")!r}')
      x1, y1, x2, y2 = self._box2d(json_path, name, label)
      # Scalabel's x2, y2 are the last pixel inside the box.
      boxes.append((x1, y1, x2 + 1, y2 + 1))
      labels.append(class_ids[category])
      attributes = label.get('attributes') or {}
      crowd.append(ignored or bool(attributes.get('crowd', False)))
    return np.asarray(boxes, np.float32).reshape(-1, 4), labels, crowd

  def _parse_foi(self, json_path, name, raw_labels):
    """The 2018 labels as the paper's builder reads them: box2d labels only,
    boxes as given, ids in the catalogue's (the paper's) order, no crowd."""
    class_ids = {c: i for i, c in enumerate(self.dataset_info.class_names)}
    boxes, labels = [], []
    for label in raw_labels:
      if 'box2d' not in label:  # drivable area and lane polygons
        continue
      if label.get('category') not in class_ids:
        raise self.fail(json_path, f'frame {name}: unknown box category '
                        f'{label.get("category")!r}')
      boxes.append(self._box2d(json_path, name, label))
      labels.append(class_ids[label['category']])
    return np.asarray(boxes, np.float32).reshape(-1, 4), labels, None

  def _box2d(self, json_path, name, label):
    """A label's box2d (x1, y1, x2, y2) in pixels, as floats."""
    box = label.get('box2d')
    try:
      return tuple(float(box[k]) for k in ('x1', 'y1', 'x2', 'y2'))
    except (TypeError, KeyError, ValueError) as e:
      raise self.fail(json_path, f'frame {name}: label {label.get("id")!r} has no '
                      f'valid box2d {{x1, y1, x2, y2}} ({box!r})') from e
