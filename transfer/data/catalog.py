"""The catalogue of datasets a config may name.

Every dataset is registered here with the facts an experiment needs (domain,
tasks, classes, ignore label, crop size) and the TFDS builder that reads it.
Adding a dataset = one builder module in `datasets/` plus one `register(...)`.
"""

import dataclasses
import importlib

from transfer.errors import UserError


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
  name: str                 # the name configs use
  tfds_name: str            # registered TFDS name, with config if any
  builder_module: str       # module whose import registers the builder
  domain: str
  tasks: tuple[str, ...]    # annotations present: see features.ANNOTATIONS
  class_names: tuple[str, ...] = ()
  ignore_label: int = 255
  crop_size: tuple[int, int] = (512, 512)
  # Object classes (ids of objects/label); empty = the same as class_names.
  object_class_names: tuple[str, ...] = ()
  num_keypoints: int = 0
  keypoint_flip_map: tuple[int, ...] = ()    # keypoint order after a h-flip
  keypoint_skeleton: tuple[tuple[int, int], ...] = ()  # pairs drawn as lines
  oks_sigmas: tuple[float, ...] = ()         # per keypoint, for OKS AP
  single_instance: bool = False  # one keypoint instance per image: PCK too
  generated: bool = False   # built offline on first use (no download needed)
  train_split: str = 'train'
  eval_split: str = 'validation'

  @property
  def num_classes(self) -> int:
    return len(self.class_names)

  @property
  def object_classes(self) -> tuple[str, ...]:
    return self.object_class_names or self.class_names


_CATALOG: dict[str, DatasetInfo] = {}


def register(info: DatasetInfo) -> DatasetInfo:
  _CATALOG[info.name] = info
  return info


def get(name: str, where: str = 'config') -> DatasetInfo:
  if name not in _CATALOG:
    raise UserError(
        f'Unknown dataset {name!r}.', where=where,
        fix=f'use one of: {", ".join(sorted(_CATALOG))} '
        '(or register a new one in transfer/data/catalog.py).')
  return _CATALOG[name]


def names() -> list[str]:
  return sorted(_CATALOG)


def import_builder(info: DatasetInfo):
  """Imports the module that registers `info`'s TFDS builder."""
  return importlib.import_module(info.builder_module)


def _register_synthetic():
  from transfer_datasets.synthetic import render  # numpy only, cheap.
  for domain in render.DOMAINS:
    register(DatasetInfo(
        name=f'synthetic_{domain}',
        tfds_name=f'synthetic_scenes/{domain}',
        builder_module='transfer_datasets.synthetic.synthetic',
        domain=f'synthetic-{domain}',
        tasks=('segmentation', 'depth', 'boxes', 'keypoints'),
        class_names=render.CLASS_NAMES,
        ignore_label=render.IGNORE_LABEL,
        crop_size=(128, 128),
        num_keypoints=len(render.KEYPOINT_NAMES),
        keypoint_flip_map=tuple(render.KEYPOINT_FLIP_MAP),
        # The top joined to each rim point, and the rim as a ring.
        keypoint_skeleton=((0, 1), (0, 2), (0, 3), (0, 4),
                           (1, 2), (2, 4), (4, 3), (3, 1)),
        # Sharp geometric points: about COCO's eyes and ears (0.025-0.035)
        # would be too strict for 1/4-resolution heads on 128x128 images;
        # 0.07 is near COCO's mean sigma.
        oks_sigmas=(0.07,) * len(render.KEYPOINT_NAMES),
        generated=True))


_register_synthetic()

# ADE20K's 150 scene-parsing classes; label value v in the PNGs is class v-1.
ADE20K_CLASS_NAMES = (
    'wall', 'building', 'sky', 'floor', 'tree', 'ceiling', 'road', 'bed', 'windowpane',
    'grass', 'cabinet', 'sidewalk', 'person', 'earth', 'door', 'table', 'mountain', 'plant',
    'curtain', 'chair', 'car', 'water', 'painting', 'sofa', 'shelf', 'house', 'sea', 'mirror',
    'rug', 'field', 'armchair', 'seat', 'fence', 'desk', 'rock', 'wardrobe', 'lamp',
    'bathtub', 'railing', 'cushion', 'base', 'box', 'column', 'signboard',
    'chest of drawers', 'counter', 'sand', 'sink', 'skyscraper', 'fireplace',
    'refrigerator', 'grandstand', 'path', 'stairs', 'runway', 'case', 'pool table',
    'pillow', 'screen door', 'stairway', 'river', 'bridge', 'bookcase', 'blind',
    'coffee table', 'toilet', 'flower', 'book', 'hill', 'bench', 'countertop', 'stove',
    'palm', 'kitchen island', 'computer', 'swivel chair', 'boat', 'bar', 'arcade machine',
    'hovel', 'bus', 'towel', 'light', 'truck', 'tower', 'chandelier', 'awning',
    'streetlight', 'booth', 'television receiver', 'airplane', 'dirt track', 'apparel',
    'pole', 'land', 'bannister', 'escalator', 'ottoman', 'bottle', 'buffet', 'poster',
    'stage', 'van', 'ship', 'fountain', 'conveyer belt', 'canopy', 'washer', 'plaything',
    'swimming pool', 'stool', 'barrel', 'basket', 'waterfall', 'tent', 'bag', 'minibike',
    'cradle', 'oven', 'ball', 'food', 'step', 'tank', 'trade name', 'microwave', 'pot',
    'animal', 'bicycle', 'lake', 'dishwasher', 'screen', 'blanket', 'sculpture', 'hood',
    'sconce', 'vase', 'traffic light', 'tray', 'ashcan', 'fan', 'pier', 'crt screen',
    'plate', 'monitor', 'bulletin board', 'shower', 'radiator', 'glass', 'clock', 'flag')

register(DatasetInfo(
    name='ade20k', tfds_name='ade20k', builder_module='transfer_datasets.ade20k.ade20k',
    domain='consumer', tasks=('segmentation',),
    class_names=ADE20K_CLASS_NAMES,
    crop_size=(512, 512)))
register(DatasetInfo(
    name='nyu_depth_v2', tfds_name='nyu_depth_v2_labeled',
    builder_module='transfer_datasets.nyu_depth_v2.nyu_depth_v2_labeled',
    domain='indoor', tasks=('depth',), crop_size=(480, 640)))
