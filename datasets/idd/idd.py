"""IDD (India Driving Dataset), segmentation part (IDD 20k Part I), 26 classes.

Reads the extracted official archive (`idd-segmentation.tar.gz`, also
named IDD_Segmentation.tar.gz, which unpacks to `IDD_Segmentation/`):
  IDD_Segmentation/leftImg8bit/<split>/<seq>/<frame>_leftImg8bit.png
  IDD_Segmentation/gtFine/<split>/<seq>/<frame>_gtFine_polygons.json
The annotations are polygons only (no label PNGs ship with the dataset): a
JSON object {"imgHeight", "imgWidth", "objects": [{"label", "polygon":
[[x, y], ...], "deleted"?, ...}]}. They are rasterised as the official
`preperation/createLabels.py` (AutoNUE public-code, `--id-type level3Id`,
its default) does: a canvas of the `unlabeled` value, then every object in
file order drawn over the earlier ones with PIL's `ImageDraw.polygon` (the
outline included), objects with a true `deleted` skipped, a label ending in
`group` that is not itself a label read without that suffix, polygons of
fewer than two points skipped (PIL cannot draw them; the official script
would stop there).

Labels: each label name maps to its level-3 id of the official label table
(`helpers/anue_labels.py`), 26 classes, e.g. parking and drivable fallback
-> 1 (drivable fallback), person and animal -> 4, caravan, trailer, train and
vehicle fallback -> 12, sky and fallback background -> 25. The void labels
(unlabeled, ego vehicle, rectification border, out of roi, license plate)
become the ignore label 255; a license plate is drawn, so it voids the
vehicle pixels under it, as in the official label images. A label name that
is not in the table is an error naming the file (the official script stops
on it too).

Splits: the official train (6993 frames) and val (981) as `train` and
`validation`; the test frames have no annotations. (The paper's builder,
factors_of_influence/fids/indian_driving_dataset.py, read MSeg's conversion
of the 40 fine `id`s instead; level 3 is the IDD benchmark's class set.)

TFDS has no IDD builder, so this one is our own.
"""

import json

import numpy as np
from PIL import Image
from PIL import ImageDraw
import tensorflow_datasets as tfds

from transfer.data import builders

_ROOT = 'IDD_Segmentation'
_SPLITS = {'train': 'train', 'validation': 'val'}
_VOID = 255  # level3Id of the void labels, and the canvas value

# Label name -> level-3 id (helpers/anue_labels.py).
LEVEL3_IDS = {
    'road': 0, 'parking': 1, 'drivable fallback': 1, 'sidewalk': 2,
    'rail track': 3, 'non-drivable fallback': 3, 'person': 4, 'animal': 4,
    'rider': 5, 'motorcycle': 6, 'bicycle': 7, 'autorickshaw': 8, 'car': 9,
    'truck': 10, 'bus': 11, 'caravan': 12, 'trailer': 12, 'train': 12,
    'vehicle fallback': 12, 'curb': 13, 'wall': 14, 'fence': 15,
    'guard rail': 16, 'billboard': 17, 'traffic sign': 18,
    'traffic light': 19, 'pole': 20, 'polegroup': 20,
    'obs-str-bar-fallback': 21, 'building': 22, 'bridge': 23, 'tunnel': 23,
    'vegetation': 24, 'sky': 25, 'fallback background': 25,
    'unlabeled': _VOID, 'ego vehicle': _VOID, 'rectification border': _VOID,
    'out of roi': _VOID, 'license plate': _VOID,
}


class Idd(builders.ManualBuilder):
  """IDD semantic segmentation (26 level-3 classes) in the project's example format."""

  CATALOG_NAME = 'idd'
  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = f"""
  1. Register at https://idd.insaan.iiit.ac.in/ and, under Dataset >
     Download, download "IDD - Segmentation (IDD 20k Part I)"
     (idd-segmentation.tar.gz, also seen as IDD_Segmentation.tar.gz; it
     unpacks to a folder IDD_Segmentation/).
  2. Extract it into the manual dir:
       tar -xzf idd-segmentation.tar.gz -C <manual_dir>
     so that these exist (<seq> is a number, <frame> six digits):
       <manual_dir>/{_ROOT}/leftImg8bit/train/<seq>/<frame>_leftImg8bit.png
       <manual_dir>/{_ROOT}/gtFine/train/<seq>/<frame>_gtFine_polygons.json
       <manual_dir>/{_ROOT}/leftImg8bit/val/... and gtFine/val/...
     No label PNGs are needed (the builder draws the polygons itself), so
     AutoNUE's createLabels.py need not be run.
     (manual_dir defaults to <data_dir>/downloads/manual/).
  3. python -m transfer.data.build idd --manual_dir=<manual_dir>
  """

  def _split_generators(self, dl_manager):
    root = self.manual_path(dl_manager, _ROOT, directory=True)
    for folder in _SPLITS.values():
      self.manual_path(dl_manager, _ROOT, 'gtFine', folder, directory=True)
    return {split: self._generate_examples(root, folder)
            for split, folder in _SPLITS.items()}

  def _generate_examples(self, root, folder):
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    ignore = self.dataset_info.ignore_label
    for json_path in sorted((root / 'gtFine' / folder).glob('*/*_gtFine_polygons.json')):
      seq = json_path.parent.name
      frame = json_path.name[:-len('_gtFine_polygons.json')]
      image_path = root / 'leftImg8bit' / folder / seq / f'{frame}_leftImg8bit.png'
      if not image_path.exists() and image_path.with_suffix('.jpg').exists():
        image_path = image_path.with_suffix('.jpg')
      image = builders.read_image(image_path, steps)
      level3 = self.rasterise(json_path, builders.read_text(json_path, steps))
      if level3.shape != image.shape[:2]:
        raise self.fail(json_path, f'is for a {level3.shape[0]}x{level3.shape[1]} image, '
                        f'{image_path.name} is {image.shape[0]}x{image.shape[1]}')
      yield f'{seq}_{frame}', self.example(
          image, segmentation=np.where(level3 == _VOID, ignore, level3))

  def rasterise(self, path, text: str) -> np.ndarray:
    """The level-3 id map [H, W] of one polygons JSON (void = 255)."""
    try:
      annotation = json.loads(text)
      height, width = int(annotation['imgHeight']), int(annotation['imgWidth'])
      objects = list(annotation['objects'])
    except (ValueError, KeyError, TypeError) as e:
      raise self.fail(path, 'is not an IDD polygons file with imgHeight, imgWidth '
                      f'and objects ({type(e).__name__}: {e})') from e
    canvas = Image.new('L', (width, height), _VOID)
    draw = ImageDraw.Draw(canvas)
    for index, obj in enumerate(objects):
      try:
        if obj.get('deleted'):
          continue
        label = str(obj['label'])
        polygon = [(float(x), float(y)) for x, y in obj['polygon']]
      except (AttributeError, KeyError, TypeError, ValueError) as e:
        raise self.fail(path, f'object {index} has no label and [[x, y], ...] polygon '
                        f'({type(e).__name__}: {e})') from e
      if label not in LEVEL3_IDS and label.endswith('group'):
        label = label[:-len('group')]
      if label not in LEVEL3_IDS:
        raise self.fail(path, f'object {index} has the unknown label {obj["label"]!r}')
      if len(polygon) >= 2:
        draw.polygon(polygon, fill=LEVEL3_IDS[label])
    return np.asarray(canvas, np.int32)
