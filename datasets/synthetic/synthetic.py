"""TFDS builder of procedurally rendered scenes, one config per domain.

Nothing is downloaded: example `index` of split `split` is
`render.render(scene_seed(seed, split, index), render.DOMAINS[domain], ...)`.
The seed does not involve the domain, so the same (seed, split, index) shows
the same object layout in every domain. Camera ranges are part of a domain:
'sunny', 'foggy' and 'underwater' share them and so have identical labels
(pure appearance shift); 'indoor' and 'aerial' also change the viewpoint.
"""

import dataclasses

import numpy as np
import tensorflow_datasets as tfds

from transfer.data import features
from . import render

_SPLITS = ('train', 'validation')


def scene_seed(seed: int, split: str, index: int) -> int:
  """The renderer's seed of one example; independent of the domain."""
  entropy = [seed, _SPLITS.index(split), index]
  return int(np.random.SeedSequence(entropy).generate_state(1)[0])


@dataclasses.dataclass(eq=False, kw_only=True)
class SyntheticScenesConfig(tfds.core.BuilderConfig):
  """A domain (key of `render.DOMAINS`), image size, split sizes and seed."""
  domain: str
  height: int = 128
  width: int = 128
  train_size: int = 2000
  validation_size: int = 300
  seed: int = 0

  def __post_init__(self):
    if self.domain not in render.DOMAINS:
      raise ValueError(f'Unknown domain {self.domain!r}; expected one of '
                       f'{sorted(render.DOMAINS)}.')


class SyntheticScenes(features.ExampleBuilder):
  """Rendered ground-plane scenes with segmentation, depth, instances, boxes
  and keypoints for every example."""

  VERSION = tfds.core.Version('1.1.0')
  RELEASE_NOTES = {
      '1.0.0': 'Initial release.',
      '1.1.0': 'Adds the instance map, objects/is_crowd and has_instances; '
               'rim keypoints fixed in the world (far/near, left/right), '
               'not in the object frame, so the image determines them.',
  }
  BUILDER_CONFIGS = [
      SyntheticScenesConfig(name=name, domain=name,
                            description=f'Scenes in the {name!r} domain.')
      for name in render.DOMAINS
  ]

  def _info(self) -> tfds.core.DatasetInfo:
    config = self.builder_config
    return self.dataset_info_from_configs(
        description=(
            'Procedural 3D scenes (cubes, spheres and cylinders on a ground '
            'plane, under sky or in a room) ray cast in numpy, with exact '
            'semantic segmentation, metric z-depth (0 = sky), tight boxes of '
            'visible pixels, instance maps and 5 COCO-style keypoints per '
            'object. Each config renders one appearance domain; the same '
            'example index has the same object layout in every domain.'),
        features=features.example_features(len(render.KEYPOINT_NAMES)),
        metadata=tfds.core.MetadataDict(
            class_names=list(render.CLASS_NAMES),
            stuff_classes=list(render.STUFF_CLASSES),
            object_classes=list(render.OBJECT_CLASSES),
            ignore_label=render.IGNORE_LABEL,
            keypoint_names=list(render.KEYPOINT_NAMES),
            keypoint_flip_map=list(render.KEYPOINT_FLIP_MAP),
            domain=config.domain,
            domain_spec=dataclasses.asdict(render.DOMAINS[config.domain]),
            seed=config.seed,
        ),
    )

  def _split_generators(self, dl_manager):
    del dl_manager  # Nothing to download.
    config = self.builder_config
    sizes = {'train': config.train_size,
             'validation': config.validation_size}
    return {split: self._generate_examples(split, sizes[split])
            for split in _SPLITS}

  def _generate_examples(self, split: str, size: int):
    config = self.builder_config
    spec = render.DOMAINS[config.domain]
    keys = tuple(self.info.features.keys())
    for index in range(size):
      example = render.render(scene_seed(config.seed, split, index), spec,
                              config.height, config.width)
      yield index, {key: example[key] for key in keys}
