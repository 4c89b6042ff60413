"""Mapillary Vistas, v1.2 labels: 65-class semantic segmentation.

Reads the research release as unzipped from the official download, in either
of its two layouts:

  * the current package (Vistas 2.0, which also ships the v1.2 labels):
      config_v1.2.json
      {training,validation}/images/<key>.jpg
      {training,validation}/v1.2/labels/<key>.png
  * the older v1.x packages (v1.0 - v1.2 on their own):
      config.json
      {training,validation}/images/<key>.jpg
      {training,validation}/labels/<key>.png

`config_v1.2.json` is used when present, else `config.json`. Its `labels`
list (`name`, `readable`, `color`, `instances`, `evaluate`) gives the classes
in label-index order; its `readable` names must be the catalogue's 65 class
names followed by "Unlabeled" (the v2.0 config, with 124 classes, is not
accepted: it goes with the v2.0 labels, which this builder does not read).

The label PNGs are palette images whose palette *index* is the label index
(the palette holds the config's colours): 0..64 are our class ids
unchanged, 65 ("Unlabeled") becomes the ignore label 255; any larger index,
a label image of another size than its photo, or a non-palette colour image
is a malformed file. The images come in their original, varying sizes.
Instance and panoptic annotations, and the unlabelled `testing` split, are
not read. `validation` is the official validation set.

TFDS ships no Mapillary Vistas builder, so this one is our own.
"""

import json

from etils import epath
import numpy as np
import tensorflow_datasets as tfds

from transfer.data import builders

_VOID = 'Unlabeled'  # the last label of the config: void
_SPLITS = {'train': 'training', 'validation': 'validation'}
# (config file, label folder under each split folder), newest layout first.
_LAYOUTS = (('config_v1.2.json', ('v1.2', 'labels')),
            ('config.json', ('labels',)))


class MapillaryVistas(builders.ManualBuilder):
  """Mapillary Vistas v1.2 semantic segmentation (65 classes)."""

  CATALOG_NAME = 'mapillary_vistas'
  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  1. Request and download the Mapillary Vistas research edition from
     https://www.mapillary.com/dataset/vistas (the current package,
     mapillary-vistas-dataset_public_v2.0.zip, holds both the v1.2 and the
     v2.0 labels; the older v1.x packages work too).
  2. Unzip it directly into the manual dir, so that these exist:
       <manual_dir>/config_v1.2.json
       <manual_dir>/training/images/<key>.jpg
       <manual_dir>/training/v1.2/labels/<key>.png
       <manual_dir>/validation/images/<key>.jpg
       <manual_dir>/validation/v1.2/labels/<key>.png
     or, from a v1.x package: <manual_dir>/config.json and
     <manual_dir>/{training,validation}/labels/<key>.png.
  3. python -m transfer.data.build mapillary_vistas --manual_dir=<manual_dir>
  """

  def _split_generators(self, dl_manager):
    root = epath.Path(dl_manager.manual_dir)
    config_name, label_parts = next(
        (layout for layout in _LAYOUTS if (root / layout[0]).exists()), _LAYOUTS[0])
    config = self.manual_path(dl_manager, config_name)
    num_labels = self._check_config(config)
    return {split: self._generate_examples(
        self.manual_path(dl_manager, folder, 'images', directory=True),
        self.manual_path(dl_manager, folder, *label_parts, directory=True), num_labels)
            for split, folder in _SPLITS.items()}

  def _check_config(self, path: epath.Path) -> int:
    """Checks the config's classes against the catalogue; their number."""
    try:
      labels = json.loads(builders.read_text(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS))['labels']
      names = tuple(label['readable'] for label in labels)
    except (json.JSONDecodeError, KeyError, TypeError) as e:
      raise self.fail(path, 'is not a Vistas config (a JSON object whose "labels" '
                      f'list has "readable" names): {type(e).__name__}: {e}') from e
    expected = (*self.dataset_info.class_names, _VOID)
    if names != expected:
      where = next((i for i, (a, b) in enumerate(zip(names, expected)) if a != b),
                   min(len(names), len(expected)))
      found = names[where] if where < len(names) else '(end of list)'
      wanted = expected[where] if where < len(expected) else '(end of list)'
      raise self.fail(path, f'lists {len(names)} classes, not the {len(expected)} of '
                      f'Vistas v1.2 that the catalogue names: label {where} is '
                      f'{found!r}, expected {wanted!r}')
    return len(names)

  def _generate_examples(self, image_dir: epath.Path, label_dir: epath.Path, num_labels: int):
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    images = sorted(image_dir.glob('*.jpg'))
    if not images:
      raise self.fail(image_dir, 'has no *.jpg images')
    ignore, void = self.dataset_info.ignore_label, num_labels - 1
    for image_path in images:
      key = image_path.stem
      image = builders.read_image(image_path, steps)
      label_path = label_dir / f'{key}.png'
      labels = builders.read_labels(label_path, steps)
      if labels.shape != image.shape[:2]:
        raise self.fail(label_path, f'label size {labels.shape} differs from its '
                        f'image {image.shape[:2]}')
      if labels.max(initial=0) > void:
        raise self.fail(label_path, f'has label indices up to {labels.max()}; '
                        f'expected 0..{void}')
      yield key, self.example(image, segmentation=np.where(labels == void, ignore, labels))
