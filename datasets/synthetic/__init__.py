"""Procedural 3D scenes with exact labels for segmentation, depth, boxes and
keypoints, rendered in several appearance domains (`render`), and the TFDS
builder around them (`synthetic`).

Configs name them `synthetic_<domain>` (one entry per domain of
`render.DOMAINS`), or with the benchmark's factors as options (`resolve`):

  synthetic_street?seed=1                    another draw of the same domain
  synthetic_street?train=200                 dataset size
  synthetic_mix?weights=street:2,aerial:1    a broad source mixing domains
  synthetic_sunny?towards=underwater&gap=0.5 a domain gap of given strength
  synthetic_street?classes=cube,sphere       a label space (objects drawn)

Each factor varies alone; the others keep their defaults (seed 0, 2000
train and 300 validation images, all object classes).
"""

import hashlib
import urllib.parse

from transfer.data.catalog import DatasetInfo
from . import render

_OPTIONS = ('seed', 'train', 'validation', 'classes', 'towards', 'gap', 'weights')
_PREFIX = 'synthetic_'


def _info(name: str, tfds_name: str, domains, config=None, description='') -> DatasetInfo:
  return DatasetInfo(
      name=name,
      tfds_name=tfds_name,
      builder_module='transfer_datasets.synthetic.synthetic',
      domain='+'.join(f'synthetic-{d}' for d in domains),
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
      generated=True,
      builder_config=config,
      description=description)


INFOS = tuple(
    _info(f'{_PREFIX}{domain}', f'synthetic_scenes/{domain}', [domain],
          description=f'Rendered ground-plane scenes, {domain} appearance (no download).')
    for domain in render.DOMAINS)


def _int(options, key, default):
  value = options.get(key, default)
  try:
    return int(value)
  except ValueError:
    raise ValueError(f'{key}={value!r} is not an integer.') from None


def resolve(name: str) -> DatasetInfo | None:
  """The DatasetInfo of a parametrised name `synthetic_<domain or mix>?options`
  (see the module docstring; options as in a URL query), None for other names.
  Raises ValueError for an unknown domain, option or value."""
  base, sep, query = name.partition('?')
  if not base.startswith(_PREFIX) or not sep:
    return None
  domain = base[len(_PREFIX):]
  try:
    options = dict(urllib.parse.parse_qsl(query, strict_parsing=True))
  except ValueError:
    raise ValueError(f'options {query!r} are not KEY=VALUE pairs joined by "&".') from None
  unknown = set(options) - set(_OPTIONS)
  if unknown:
    raise ValueError(f'unknown option(s) {sorted(unknown)}; expected some of {list(_OPTIONS)}.')
  if (domain == 'mix') != ('weights' in options):
    raise ValueError('synthetic_mix needs weights=DOMAIN:WEIGHT,..., and only it takes them.')
  if ('towards' in options) != ('gap' in options):
    raise ValueError('a domain gap needs both towards=DOMAIN and gap=FRACTION.')
  mixture = []
  for item in filter(None, options.get('weights', '').split(',')):
    mixed, _, weight = item.partition(':')
    try:
      mixture.append((mixed, float(weight or 1)))
    except ValueError:
      raise ValueError(f'weight {weight!r} of {mixed!r} is not a number.') from None
  try:
    gap = float(options.get('gap', 0))
  except ValueError:
    raise ValueError(f'gap={options["gap"]!r} is not a number.') from None
  fields = dict(
      domain='sunny' if mixture else domain, towards=options.get('towards'), gap=gap,
      mixture=tuple(mixture),
      object_classes=tuple(filter(None, options.get('classes', '').split(','))),
      train_size=_int(options, 'train', 2000), validation_size=_int(options, 'validation', 300),
      seed=_int(options, 'seed', 0))
  from . import synthetic  # pylint: disable=g-import-not-at-top
  digest = hashlib.sha256(repr(sorted(fields.items())).encode()).hexdigest()[:10]
  config = synthetic.SyntheticScenesConfig(
      name=f'{domain}_{digest}', description=f'Rendered scenes: {name}', **fields)
  return _info(name, 'synthetic_scenes', config.specs, config, config.description)
