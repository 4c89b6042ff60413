"""Mock data in the example format: for tests and runs without any dataset.

`mock_datasets(n)` is `tfds.testing.mock_data` whose data sources (the
pipeline's random access) yield random examples that keep
the format's invariants (features.py), as a real builder writes them: every
catalogue dataset yields its own annotations (class ids below its class
count or the ignore label, positive depth with holes, ordered boxes inside
the image, an instance map, keypoints with COCO visibilities), built through
`builders.example` like the real builders and checked by
`features.invalid`. TFDS's own mock fills each tensor with unrelated random
values instead (swapped box corners, visibilities such as 0.37), which the
pipeline does not repair.

Examples are deterministic per dataset, split and index; a split's slices
(`train[:50%]`, read instructions) all yield the same `num_examples`
examples, and `pipeline.num_examples_in` reports that count.
"""

import contextlib
import hashlib
from unittest import mock

import numpy as np
import tensorflow_datasets as tfds

from transfer.data import builders, catalog, features, pipeline


def example(info: catalog.DatasetInfo, rng: np.random.Generator) -> dict:
  """One random example of `info`'s annotations, in the stored format."""
  height, width = (int(v) for v in rng.integers(24, 49, 2))
  annotations = {}
  if 'segmentation' in info.tasks:
    labels = rng.integers(0, info.num_classes, (height, width))
    annotations['segmentation'] = np.where(rng.random((height, width)) < 0.1,
                                           info.ignore_label, labels)
  if 'depth' in info.tasks:
    depth = rng.uniform(0.5, 20.0, (height, width))
    annotations['depth'] = np.where(rng.random((height, width)) < 0.1, 0.0, depth)
  if {'boxes', 'keypoints'} & set(info.tasks):
    annotations.update(_objects(info, rng, height, width))
  image = rng.integers(0, 256, (height, width, 3), np.uint8)
  out = builders.example(image, ignore_label=info.ignore_label,
                         num_keypoints=info.num_keypoints,
                         reference_box=bool(info.reference_box), **annotations)
  problem = features.invalid(out)
  if problem:
    raise AssertionError(f'mock example of {info.name}: {problem}')
  return out


def _objects(info, rng, height, width) -> dict:
  """1-4 objects: pixel boxes of at least 2x2, instance ids painted in
  order, keypoints inside their box (COCO visibility 0, 1 or 2)."""
  count = int(rng.integers(1, 5))
  x0 = rng.uniform(0, width - 2, count)
  y0 = rng.uniform(0, height - 2, count)
  boxes = np.stack([x0, y0, rng.uniform(x0 + 2, width), rng.uniform(y0 + 2, height)], -1)
  instances = np.zeros((height, width), np.int64)
  for i, (bx0, by0, bx1, by1) in enumerate(boxes):
    instances[int(by0):int(np.ceil(by1)), int(bx0):int(np.ceil(bx1))] = i + 1
  out = {'boxes': boxes, 'instances': instances,
         'labels': rng.integers(0, len(info.object_classes), count),
         'is_crowd': rng.random(count) < 0.1}
  if info.num_keypoints:
    k = info.num_keypoints
    corner, extent = boxes[:, None, :2], boxes[:, None, 2:] - boxes[:, None, :2]
    # Pixel indices (example()'s convention): centres c + 0.5 inside the box.
    xy = corner + rng.uniform(0, 1, (count, k, 2)) * extent - 0.5
    visibility = rng.integers(0, 3, (count, k))
    out['keypoints'] = np.concatenate([xy, visibility[..., None]], -1)
  if info.reference_box:  # The top quarter of the box, as a head would be.
    out['reference_boxes'] = np.concatenate(
        [boxes[:, :3], boxes[:, 1:2] + (boxes[:, 3:] - boxes[:, 1:2]) / 4], -1)
  return out


def _info_of(builder) -> catalog.DatasetInfo:
  name = features.tfds_name(builder)
  [info] = [info for info in catalog.infos()
            if (info.builder_config is builder.builder_config if info.builder_config
                else info.tfds_name == name)]
  return info


class _Source:
  """A data source of `num_examples` mock examples of one split."""

  def __init__(self, info, split, num_examples):
    self._info, self._split, self._num_examples = info, split, num_examples

  def __len__(self):
    return self._num_examples

  def __getitem__(self, index):
    if not 0 <= index < self._num_examples:
      raise IndexError(index)
    seed = hashlib.blake2b(f'{self._info.name}:{self._split}:{index}'.encode(), digest_size=8)
    return example(self._info, np.random.default_rng(int.from_bytes(seed.digest(), 'little')))


def _as_data_source(num_examples):
  """A replacement of `DatasetBuilder.as_data_source` yielding mock examples."""

  def as_data_source(builder, split, decoders=None, **kwargs):
    del decoders, kwargs  # Dense maps come decoded; the pipeline takes both.
    return _Source(_info_of(builder), split, num_examples)

  return as_data_source


@contextlib.contextmanager
def mock_datasets(num_examples: int = 8):
  """Every TFDS builder yields `num_examples` valid mock examples per split."""
  with tfds.testing.mock_data(num_examples=num_examples,
                              as_data_source_fn=_as_data_source(num_examples)), \
       mock.patch.object(pipeline, 'num_examples_in', lambda builder, split: num_examples):
    yield
