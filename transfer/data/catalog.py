"""The catalogue of datasets a config may name.

Every dataset has a package in `datasets/` (installed as
`transfer_datasets.<package>`) whose `__init__.py` lists its entries as
`INFOS = (DatasetInfo(...), ...)`: the facts an experiment needs (domain,
tasks, classes, ignore label, crop size, keypoint conventions) and the TFDS
builder that reads it. The packages are found on first use, so adding a
dataset is one new folder; nothing here changes. A package may also define
`resolve(name) -> DatasetInfo | None` for parametrised names (the synthetic
scenes' `synthetic_mix?weights=street:1,aerial:1`, for example), whose info
carries its TFDS `builder_config`.

`python -m transfer.data.catalog [--data_dir=DIR]` prints one row per
dataset and whether it is prepared under DIR (with its split sizes).
"""

import dataclasses
import importlib
import pkgutil
import sys

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
  # What each object's stored reference box is ('head': MPII's head boxes, so
  # keypoint evaluation adds PCKh); '' = none stored.
  reference_box: str = ''
  # Keypoints in PCKh's total ('pckh'; MPII's literature leaves out the pelvis
  # and thorax); empty = no PCKh. Needs reference_box='head'.
  pckh_keypoints: tuple[int, ...] = ()
  description: str = ''     # one line: what the images and labels are
  generated: bool = False   # built offline on first use (no download needed)
  train_split: str = 'train'
  eval_split: str = 'validation'
  # A BuilderConfig object for tfds.builder(tfds_name, config=...): a config
  # made from a parametrised name, not one of the builder's BUILDER_CONFIGS.
  builder_config: object = dataclasses.field(default=None, compare=False, repr=False)

  @property
  def num_classes(self) -> int:
    return len(self.class_names)

  @property
  def object_classes(self) -> tuple[str, ...]:
    return self.object_class_names or self.class_names


_CATALOG: dict[str, DatasetInfo] = {}
_RESOLVED: dict[str, DatasetInfo] = {}  # Parametrised names met so far.
_RESOLVERS: list = []
_DISCOVERED = False


def register(info: DatasetInfo) -> DatasetInfo:
  if _CATALOG.get(info.name, info) != info:
    raise ValueError(f'Dataset {info.name!r} is registered twice, differently.')
  _CATALOG[info.name] = info
  return info


def _discover():
  """Registers the INFOS of every package in `transfer_datasets`."""
  global _DISCOVERED
  if _DISCOVERED:
    return
  _DISCOVERED = True
  import transfer_datasets  # pylint: disable=g-import-not-at-top
  for module in sorted(pkgutil.iter_modules(transfer_datasets.__path__), key=lambda m: m.name):
    if module.ispkg:
      package = importlib.import_module(f'transfer_datasets.{module.name}')
      for info in getattr(package, 'INFOS', ()):
        register(info)
      if hasattr(package, 'resolve'):
        _RESOLVERS.append(package.resolve)


def _resolve(name: str, where: str) -> DatasetInfo | None:
  if name not in _RESOLVED:
    for resolve in _RESOLVERS:
      try:
        info = resolve(name)
      except ValueError as e:
        raise UserError(f'Dataset name {name!r}: {e}', where=where,
                        fix=f'see the name formats in the docstring of '
                        f'{resolve.__module__}.') from None
      if info is not None:
        _RESOLVED[name] = info
        break
  return _RESOLVED.get(name)


def get(name: str, where: str = 'config') -> DatasetInfo:
  _discover()
  info = _CATALOG.get(name) or _resolve(name, where)
  if info is None:
    raise UserError(
        f'Unknown dataset {name!r}.', where=where,
        fix=f'use one of: {", ".join(sorted(_CATALOG))} (`python -m transfer.data.catalog` '
        f'lists them), or a name with options as the docstrings of '
        f'{", ".join(r.__module__ for r in _RESOLVERS)} describe; a new dataset is a '
        'package in datasets/ with INFOS in its __init__.py.')
  return info


def names() -> list[str]:
  """The catalogue's dataset names (not parametrised ones)."""
  _discover()
  return sorted(_CATALOG)


def infos() -> list[DatasetInfo]:
  """Every DatasetInfo this process knows: the catalogue's and those of the
  parametrised names resolved so far."""
  _discover()
  return [*_CATALOG.values(), *_RESOLVED.values()]


def import_builder(info: DatasetInfo):
  """Imports the module that registers `info`'s TFDS builder."""
  return importlib.import_module(info.builder_module)


def builder(info: DatasetInfo, data_dir: str | None):
  """`info`'s TFDS builder (its module imported) reading from `data_dir`;
  it prepares in the array_record format (random access: pipeline.py)."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  import_builder(info)
  config = {} if info.builder_config is None else {'config': info.builder_config}
  try:
    return tfds.builder(info.tfds_name, data_dir=data_dir, file_format='array_record', **config)
  except ValueError as e:  # Prepared in another format: pipeline.load_builder says so.
    if 'File format is already set' not in str(e):
      raise
    return tfds.builder(info.tfds_name, data_dir=data_dir, **config)


def split_sizes(info: DatasetInfo, data_dir: str | None) -> dict[str, int] | None:
  """{split: examples} if `info` is prepared under `data_dir`, else None."""
  prepared = builder(info, data_dir)
  if not prepared.is_prepared():
    return None
  return {name: split.num_examples for name, split in prepared.info.splits.items()}


def table(data_dir: str | None) -> str:
  """One row per dataset: name, domain, tasks, classes, prepared splits."""
  rows = [('name', 'domain', 'tasks', 'classes', 'prepared')]
  for name in names():
    info = _CATALOG[name]
    try:
      sizes = split_sizes(info, data_dir)
    except Exception as e:  # pylint: disable=broad-except
      prepared = f'error: {type(e).__name__}: {e}'.splitlines()[0]
    else:
      prepared = ('no' if sizes is None else
                  ', '.join(f'{split} {n}' for split, n in sorted(sizes.items())))
    classes = str(info.num_classes)
    if info.object_class_names and info.object_class_names != info.class_names:
      classes += f' / {len(info.object_class_names)} objects'
    if info.num_keypoints:
      classes += f' / {info.num_keypoints} keypoints'
    rows.append((name, info.domain, ','.join(info.tasks), classes, prepared))
  widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
  return '\n'.join('  '.join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
                   for row in rows)


def main(argv=None):
  import argparse  # pylint: disable=g-import-not-at-top
  import os  # pylint: disable=g-import-not-at-top
  parser = argparse.ArgumentParser(description='Lists the datasets configs can name.')
  parser.add_argument('--data_dir', default=None,
                      help='TFDS data dir (default: $TFDS_DATA_DIR or ~/tensorflow_datasets)')
  args = parser.parse_args(argv)
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
  from absl import logging  # pylint: disable=g-import-not-at-top
  logging.set_verbosity(logging.ERROR)  # TFDS warns about every unprepared dataset.
  print(table(args.data_dir))


if __name__ == '__main__':
  sys.exit(main())
