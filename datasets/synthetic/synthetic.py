"""TFDS builder of procedurally rendered scenes: one config per domain, and
configs for every factor of the benchmark (`SyntheticScenesConfig`).

Nothing is downloaded: example `index` of split `split` is
`render.render(scene_seed(seed, split, index), spec, ...)` with the spec of
its domain (`SyntheticScenesConfig.example_domain`). The seed does not involve
the domain, so the same (seed, split, index) shows the same object layout in
every domain with the same LayoutSpec. Camera ranges are part of a domain:
'sunny', 'foggy' and 'underwater' share them and so have identical labels
(pure appearance shift); 'indoor' and 'aerial' also change the viewpoint.
"""

import dataclasses
import functools

import numpy as np
import tensorflow_datasets as tfds

from transfer.data import features
from . import render

_SPLITS = ('train', 'validation')


def _draw(seed: int, split: str, index: int, *stream: int) -> int:
  """A 32-bit hash of (seed, split, index, stream...)."""
  entropy = [seed, _SPLITS.index(split), index, *stream]
  return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def scene_seed(seed: int, split: str, index: int) -> int:
  """The renderer's seed of one example; independent of the domain."""
  return _draw(seed, split, index)


@dataclasses.dataclass(eq=False, kw_only=True)
class SyntheticScenesConfig(tfds.core.BuilderConfig):
  """What is rendered: every factor of the synthetic benchmark.

  domain: a key of `render.DOMAINS`; towards, gap: when `towards` is set,
    the appearance (and camera, layout) `gap` of the way from `domain` to
    `towards` (`render.interpolate`): the strength of a domain gap.
  mixture: ((domain, weight), ...) for a broad dataset; each example's domain
    is drawn with these weights from a hash of (seed, split, index), and
    `domain` is then unused.
  object_classes: names among `render.OBJECT_CLASSES`' classes; only these
    objects appear (the label space); empty = all.
  Sizes, image size and seed: train_size, validation_size, height, width, seed.
  """
  domain: str = 'sunny'
  towards: str | None = None
  gap: float = 0.0
  mixture: tuple[tuple[str, float], ...] = ()
  object_classes: tuple[str, ...] = ()
  height: int = 128
  width: int = 128
  train_size: int = 2000
  validation_size: int = 300
  seed: int = 0

  def __post_init__(self):
    for domain in (self.domain, self.towards or self.domain, *(d for d, _ in self.mixture)):
      if domain not in render.DOMAINS:
        raise ValueError(f'Unknown domain {domain!r}; expected one of {sorted(render.DOMAINS)}.')
    if not 0 <= self.gap <= 1:
      raise ValueError(f'gap must be in [0, 1], got {self.gap}.')
    if self.mixture and self.towards:
      raise ValueError('A mixture and a domain gap cannot be combined.')
    if any(not weight > 0 for _, weight in self.mixture):
      raise ValueError(f'Mixture weights must be positive, got {self.mixture}.')
    if len({d for d, _ in self.mixture}) != len(self.mixture):
      raise ValueError(f'A mixture names each domain once, got {self.mixture}.')
    known = [render.CLASS_NAMES[c] for c in render.OBJECT_CLASSES]
    if not set(self.object_classes) <= set(known):
      raise ValueError(f'Unknown object classes {self.object_classes}; expected some of {known}.')
    for field in ('height', 'width', 'train_size', 'validation_size'):
      if getattr(self, field) < 1:
        raise ValueError(f'{field} must be at least 1, got {getattr(self, field)}.')

  @functools.cached_property
  def specs(self) -> dict[str, render.DomainSpec]:
    """The rendered DomainSpecs by name (one unless a mixture), each with
    the layout restricted to `object_classes`."""
    if self.mixture:
      specs = {d: render.DOMAINS[d] for d, _ in self.mixture}
    elif self.towards:
      specs = {f'{self.domain}~{self.towards}@{self.gap:g}': render.interpolate(
          render.DOMAINS[self.domain], render.DOMAINS[self.towards], self.gap)}
    else:
      specs = {self.domain: render.DOMAINS[self.domain]}
    if self.object_classes:
      ids = tuple(c for c in render.OBJECT_CLASSES
                  if render.CLASS_NAMES[c] in self.object_classes)
      specs = {name: dataclasses.replace(
          spec, layout=dataclasses.replace(spec.layout, object_classes=ids))
               for name, spec in specs.items()}
    return specs

  @property
  def label(self) -> str:
    """The domains rendered, joined by '+' (a broad dataset has several)."""
    return '+'.join(self.specs)

  def example_domain(self, split: str, index: int) -> str:
    """The key of `specs` that example `index` of `split` is rendered in."""
    if not self.mixture:
      return next(iter(self.specs))
    weights = np.array([w for _, w in self.mixture], np.float64)
    u = _draw(self.seed, split, index, 1) / 2**32
    chosen = int(np.searchsorted(np.cumsum(weights / weights.sum()), u, side='right'))
    return self.mixture[min(chosen, len(self.mixture) - 1)][0]


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
            domain=config.label,
            domain_specs={name: dataclasses.asdict(spec)
                          for name, spec in config.specs.items()},
            mixture=[list(item) for item in config.mixture],
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
    specs = config.specs
    keys = tuple(self.info.features.keys())
    for index in range(size):
      spec = specs[config.example_domain(split, index)]
      example = render.render(scene_seed(config.seed, split, index), spec,
                              config.height, config.width)
      yield index, {key: example[key] for key in keys}
