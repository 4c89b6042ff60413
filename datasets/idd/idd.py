"""IDD (India Driving Dataset), segmentation part (IDD 20k Part I), 26 or 34 classes.

Reads the extracted official archive (`idd-segmentation.tar.gz`, also
named IDD_Segmentation.tar.gz, which unpacks to `IDD_Segmentation/`):
  IDD_Segmentation/leftImg8bit/<split>/<seq>/<frame>_leftImg8bit.png
  IDD_Segmentation/gtFine/<split>/<seq>/<frame>_gtFine_polygons.json
The annotations are polygons only (no label PNGs ship with the dataset): a
JSON object {"imgHeight", "imgWidth", "objects": [{"label", "polygon":
[[x, y], ...], "deleted"?, ...}]}. They are rasterised as the official
`preperation/createLabels.py` (AutoNUE public-code) does: a canvas of the
`unlabeled` value, then every object in file order drawn over the earlier
ones with PIL's `ImageDraw.polygon` (the outline included), objects with a
true `deleted` skipped, a label ending in `group` that is not itself a label
read without that suffix. A label name that is not in IDD's table is an
error naming the file (the official script stops on it too). Each object is
drawn directly in its class id (the ignore label 255 for ignored labels), the
same as drawing label ids and mapping them afterwards. The two configs differ
in IDD's label level and in one drawing detail:

`level3` (catalogue `idd`): `createLabels.py --id-type level3Id` (its
  default), the IDD benchmark's class set. Each label name maps to its
  level-3 id of the official label table (`helpers/anue_labels.py`), 26
  classes, e.g. parking and drivable fallback -> 1 (drivable fallback),
  person and animal -> 4, caravan, trailer, train and vehicle fallback ->
  12, sky and fallback background -> 25. The void labels (unlabeled, ego
  vehicle, rectification border, out of roi, license plate) become the
  ignore label 255; a license plate is drawn, so it voids the vehicle pixels
  under it, as in the official label images. Polygons of fewer than two
  points are skipped (PIL cannot draw them; the official script would stop
  there); two-point ones are drawn as a line.
`foi` (catalogue `idd_foi`): as the Factors of Influence paper's builder,
  `factors_of_influence/fids/indian_driving_dataset.py` (google-research),
  through `fids/mseg_base.py`: its `segmentation` feature reads MSeg's
  `idd-40` label PNGs, which mseg-api's
  `label_preparation/dump_idd_semantic_labels.py` draws from these polygons
  in IDD's finest ids, `id` 0..39 (each name's line in
  `dataset_lists/idd-40/idd-40_names.txt`, which lists anue_labels.py's 40
  labels in `id` order; the coarser levels merge them: level4Id 30 values,
  level3Id 26, level2Id 16, level1Id 7, and 255 for void). The paper's
  builder folds 6 labels into its class 0 'background': unlabeled, out of roi,
  train, ego vehicle, rectification border and license plate; here they are
  the ignore label 255 (a license plate still voids the vehicle under it),
  and the other 34 are classes 0..33 in id order (road 0, parking 1,
  drivable fallback 2, ..., fallback background 33), named as
  `fids_metadata_segmentation.py` (fids_idd). MSeg's script skips polygons
  of fewer than three points, and so does this config.
  Not confirmed without MSeg's files: that the label PNGs the paper read are
  the ones that script draws (MSeg's prepared copy was not available); one
  difference is kept on purpose: MSeg's script skips an object with an
  unknown label and goes on, where this builder stops on it (the official
  script does too, so the released polygons should have none).

Splits (both configs): the official train (6993 frames) and val (981) as
`train` and `validation`; the test frames have no annotations. The paper's
builder reads MSeg's lists of the same train and val folders (its idd-40 val
list starts with val/119/035471; their lengths were not counted).

TFDS has no IDD builder, so this one is our own.
"""

import dataclasses
import json
from typing import Mapping

import numpy as np
from PIL import Image
from PIL import ImageDraw
import tensorflow_datasets as tfds

from transfer.data import builders
from transfer_datasets.idd import FOI_CLASS_NAMES
from transfer_datasets.idd import LABEL_NAMES

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
# Label name -> the paper's class - 1 (FOI_CLASS_NAMES); its background
# labels are void.
FOI_IDS = {name: FOI_CLASS_NAMES.index(name) if name in FOI_CLASS_NAMES else _VOID
           for name in LABEL_NAMES}


@dataclasses.dataclass(eq=False, kw_only=True)
class IddConfig(tfds.core.BuilderConfig):
  """One definition of the classes.

  class_ids: label name -> the class id drawn for it (255 = ignored).
  min_points: polygons with fewer points are not drawn.
  """
  class_ids: Mapping[str, int] = dataclasses.field(default_factory=dict)
  min_points: int = 2


class Idd(builders.ManualBuilder):
  """IDD semantic segmentation (26 level-3 or 34 classes) in the project's example format."""

  BUILDER_CONFIGS = [
      IddConfig(name='level3', description="IDD's 26 level-3 classes.",
                class_ids=LEVEL3_IDS, min_points=2),
      IddConfig(name='foi', description="34 classes as the FoI paper's builder: IDD's 40 "
                'label ids without 6 background labels.', class_ids=FOI_IDS, min_points=3),
  ]
  CATALOG_NAMES = {'level3': 'idd', 'foi': 'idd_foi'}
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
     python -m transfer.data.build idd_foi --manual_dir=<manual_dir>
     (the same polygons serve both; MSeg's label PNGs are not needed)
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
      classes = self.rasterise(json_path, builders.read_text(json_path, steps))
      if classes.shape != image.shape[:2]:
        raise self.fail(json_path, f'is for a {classes.shape[0]}x{classes.shape[1]} image, '
                        f'{image_path.name} is {image.shape[0]}x{image.shape[1]}')
      yield f'{seq}_{frame}', self.example(
          image, segmentation=np.where(classes == _VOID, ignore, classes))

  def rasterise(self, path, text: str) -> np.ndarray:
    """The class id map [H, W] of one polygons JSON, in the config's classes (void = 255)."""
    try:
      annotation = json.loads(text)
      height, width = int(annotation['imgHeight']), int(annotation['imgWidth'])
      objects = list(annotation['objects'])
    except (ValueError, KeyError, TypeError) as e:
      raise self.fail(path, 'is not an IDD polygons file with imgHeight, imgWidth '
                      f'and objects ({type(e).__name__}: {e})') from e
    class_ids, min_points = self.builder_config.class_ids, self.builder_config.min_points
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
      if label not in class_ids and label.endswith('group'):
        label = label[:-len('group')]
      if label not in class_ids:
        raise self.fail(path, f'object {index} has the unknown label {obj["label"]!r}')
      if len(polygon) >= min_points:
        draw.polygon(polygon, fill=class_ids[label])
    return np.asarray(canvas, np.int32)
