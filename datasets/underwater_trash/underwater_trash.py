"""Underwater Trash: Trash-ICRA19 (Fulton, Hong, Islam, Sattar; ICRA 2019).

Reads the official release from the University of Minnesota Data
Repository as it unpacks: `trash_ICRA19/dataset/{train,val,test}/`, where
every frame `<video>_frame<n>.jpg` (480x360 or 480x270 RGB JPEG, e.g.
`obj0009_frame0000050.jpg`) has a Pascal VOC XML annotation `<same>.xml`
beside it (the folders also hold YOLO `.txt` labels with only 3 classes;
they are not read). Splits: train 5,720 frames (the paper's "about 5,700
images"), val 820 -> our `validation`, test 1,144 -> `test`.

Each XML `<object>` has a `<name>` and a `<bndbox>` with integer
`xmin, ymin, xmax, ymax` in pixels. Following the paper's builder, these
are the box's corner coordinates (no VOC-style 1-based shift): x0 = xmin,
x1 = xmax. `<size>` must agree with the JPEG.

Labels: 4 classes, the labels the paper keeps (present in all three
splits): plastic (also the typo `platstic`), bio, rov and metal. The other
labels of the XML files (cloth, fishing, paper / `papper`, rubber,
timestamp, unknown, wood) are rare and not classes. A label outside these
lists is an error. Two configs:

`standard` (catalogue `underwater_trash`): plastic 0, bio 1, rov 2, metal 3;
  the boxes of rare labels are dropped.
`foi` (catalogue `underwater_trash_foi`): as the Factors of Influence
  paper's builder (`factors_of_influence/fids/underwater_trash.py`,
  UTD_BOX_LABELS and UTD_BOX_LABELS_CONVERT): its order metal 0, rov 1,
  bio 2, plastic 3, and the boxes of rare labels kept as its class 0
  "background", which is our ignore label 255 (as the paper's class 0 in
  every `_foi` entry). That builder gives such a box a one-hot label on
  background; the paper's training code is not public, so what its detector
  did with them is not known. Our object tasks train and evaluate only the
  entry's classes (`transfer.tasks.objects.known_objects`): a 255 box is no
  training target, no ground truth in AP, and detections on it are false
  positives, as a box of a background class would make them. Unlike a
  dropped box it is still an object of the example (e.g. the crop that
  keeps an object may keep it). The paper's builder divides boxes by the
  XML `<size>`, which must equal the image size here.

TFDS's `voc` builder reads the same XML schema, but its parser is private,
needs the VOC-only fields (pose, truncated, difficult) and returns boxes
already divided by the XML's size, so the few fields are parsed here.
"""

import xml.etree.ElementTree as ET

from etils import epath
import numpy as np
import tensorflow_datasets as tfds

from transfer.data import builders

_SPLITS = {'train': 'train', 'validation': 'val', 'test': 'test'}

# XML <name> -> the class it denotes (a catalogue class name); None = rare.
LABELS = {
    'plastic': 'plastic', 'platstic': 'plastic', 'bio': 'bio', 'rov': 'rov',
    'metal': 'metal', 'cloth': None, 'fishing': None, 'paper': None, 'papper': None,
    'rubber': None, 'timestamp': None, 'unknown': None, 'wood': None,
}


class UnderwaterTrash(builders.ManualBuilder):
  """Trash-ICRA19 underwater debris detection (4 classes) in the project's example format."""

  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  BUILDER_CONFIGS = [
      tfds.core.BuilderConfig(
          name='standard', description='plastic, bio, rov, metal; rare labels dropped.'),
      tfds.core.BuilderConfig(
          name='foi', description="metal, rov, bio, plastic as the FoI paper's builder; rare "
          'labels kept as background (255).'),
  ]
  CATALOG_NAMES = {'standard': 'underwater_trash', 'foi': 'underwater_trash_foi'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  1. Download the dataset archive (trash_ICRA19.zip) from the University
     of Minnesota Data Repository: "Trash-ICRA19: A Bounding Box Labeled
     Dataset of Underwater Trash", https://conservancy.umn.edu/handle/11299/214366
     (also linked from https://irvlab.cs.umn.edu/resources/trash-icra19).
  2. Unzip it into the manual dir, so that these exist:
       <manual_dir>/trash_ICRA19/dataset/train/obj0009_frame0000050.jpg
       <manual_dir>/trash_ICRA19/dataset/train/obj0009_frame0000050.xml
       <manual_dir>/trash_ICRA19/dataset/val/...
       <manual_dir>/trash_ICRA19/dataset/test/...
     (manual_dir defaults to <data_dir>/downloads/manual/; the contents of
     trash_ICRA19/ directly in the manual dir work too).
  3. python -m transfer.data.build underwater_trash --manual_dir=<manual_dir>
     python -m transfer.data.build underwater_trash_foi --manual_dir=<manual_dir>
     (the same download serves both)
  """

  def _split_generators(self, dl_manager):
    unzipped = epath.Path(dl_manager.manual_dir) / 'dataset'
    if unzipped.is_dir():
      root = unzipped
    else:
      root = self.manual_path(dl_manager, 'trash_ICRA19', 'dataset', directory=True)
    return {split: self._generate_examples(root / folder)
            for split, folder in _SPLITS.items()}

  def _generate_examples(self, folder):
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    if not folder.is_dir():
      raise builders.DatasetFileError(folder, 'not found', steps)
    images = sorted(folder.glob('*.jpg'))
    if not images:
      raise self.fail(folder, 'no *.jpg frames found')
    for image_path in images:
      image = builders.read_image(image_path, steps)
      xml_path = image_path.with_suffix('.xml')
      boxes, labels = self.read_xml(xml_path, image.shape[:2])
      yield image_path.stem, self.example(image, boxes=boxes, labels=labels)

  def read_xml(self, path, image_hw):
    """(boxes [N, 4] pixel x0, y0, x1, y1; labels [N]) of one XML file, in
    this config's classes (rare labels dropped, or the ignore label)."""
    try:
      root = ET.fromstring(builders.read_text(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS))
    except ET.ParseError as e:
      raise self.fail(path, f'is not valid XML ({e})') from e
    height, width = image_hw
    size = root.find('size')
    if size is not None:
      try:
        xml_w, xml_h = _number(size, 'width', 0), _number(size, 'height', 0)
      except ValueError as e:
        raise self.fail(path, f'<size> is not numeric ({e})') from e
      if (xml_w, xml_h) != (0, 0) and (xml_w, xml_h) != (width, height):
        raise self.fail(path, f'<size> is {xml_w:g}x{xml_h:g} (WxH), the image '
                        f'{width}x{height}')
    info = self.dataset_info
    class_ids = {name: i for i, name in enumerate(info.class_names)}
    keep_rare = self.builder_config.name == 'foi'
    boxes, labels = [], []
    for obj in root.iter('object'):
      name = (obj.findtext('name') or '').strip().lower()
      if name not in LABELS:
        raise self.fail(path, f'unknown object label {name!r} (known: '
                        f'{", ".join(sorted(LABELS))})')
      box = obj.find('bndbox')
      try:
        x0, y0, x1, y1 = (_number(box, k) for k in ('xmin', 'ymin', 'xmax', 'ymax'))
      except (TypeError, ValueError) as e:
        raise self.fail(path, f'an <object> ({name}) has no valid <bndbox>') from e
      if x1 < x0 or y1 < y0:
        raise self.fail(path, f'a {name} box has xmax < xmin or ymax < ymin')
      if LABELS[name] is not None or keep_rare:
        boxes.append((x0, y0, x1, y1))
        labels.append(class_ids.get(LABELS[name], info.ignore_label))
    return np.asarray(boxes, np.float32).reshape(-1, 4), labels


def _number(element, tag, default=None):
  """The number in `element/<tag>` (float), or `default` if it is absent."""
  text = None if element is None else element.findtext(tag)
  if text is None or not text.strip():
    if default is None:
      raise ValueError(f'<{tag}> missing')
    return default
  return float(text)
