"""Annotation fields: each declares once how it is read, padded, resampled and flipped.

The augmentation (augment.py) and the batching (pipeline.py) loop over these
specs and know no field by name, so a new annotation is one `Field` here:
a dense map of surface normals, for example, is

  Field('normals', 'nearest', pad=0.0, on_flip=negate_channel(0))

(its x component changes sign when the image is mirrored). A task asks for
the fields it learns from (`Task.fields`); `closure` adds what those need
(boxes need the labels, crowd flags, validity, areas and the instance map).

Resampling rules (augment.RESAMPLERS): 'bilinear' (the image), 'nearest'
(dense labels: values are moved, never interpolated), 'boxes', 'points'
(keypoints, as continuous points) and 'none' (per-object attributes that
travel with their object unchanged). Positions always follow the geometry,
a mirrored window included; `on_flip` is what a mirror does to the values
themselves (keypoints swap left and right, a normal's x changes sign).
"""

import dataclasses
import io
from typing import Callable

import numpy as np
from PIL import Image

IGNORE_LABEL = 'ignore_label'  # A pad value: the dataset's ignore label.


@dataclasses.dataclass(frozen=True)
class Field:
  """One annotation of an example (or a batch: a leading batch axis)."""
  name: str
  resample: str                  # 'bilinear' | 'nearest' | 'boxes' | 'points' | 'none'
  pad: float | int | str = 0     # beyond the image, and in padding objects / examples
  dtype: str = 'float32'         # in batches
  on_flip: Callable | None = None  # (values, dataset) -> values, for a mirrored window
  requires: tuple[str, ...] = ()   # fields this one cannot be augmented without
  batched: bool = True           # False: read for the augmentation only
  read: Callable | None = None   # (stored example, max_objects) -> values; None: dense map

  def pad_value(self, dataset):
    return dataset.ignore_label if self.pad == IGNORE_LABEL else self.pad

  def read_from(self, stored: dict, max_objects: int) -> np.ndarray:
    if self.read is not None:
      return self.read(stored, max_objects)
    return dense_map(stored[self.name], self.dtype)


def dense_map(value, dtype) -> np.ndarray:
  """A stored dense map (an array, or PNG bytes left undecoded) as [H, W, C]."""
  if isinstance(value, bytes):
    value = np.asarray(Image.open(io.BytesIO(value)))
  value = np.asarray(value, dtype)
  return value[..., None] if value.ndim == 2 else value


def negate_channel(channel: int) -> Callable:
  """The flip rule of a vector field whose `channel` points along x."""
  def flip(values, dataset):
    del dataset
    values = values.copy()
    values[..., channel] = -values[..., channel]
    return values
  return flip


def swap_keypoints(keypoints, dataset):
  """Left and right keypoints trade places (the dataset's flip map)."""
  return keypoints[:, list(dataset.keypoint_flip_map)]


def _padded(x, n: int) -> np.ndarray:
  """The first `n` rows of `x`, zero-padded to exactly `n`."""
  x = np.asarray(x)[:n]
  return np.pad(x, [(0, n - len(x))] + [(0, 0)] * (x.ndim - 1))


def _object_reader(key: str, dtype: str, tail=()) -> Callable:
  def read(stored, n):
    values = np.asarray(stored['objects'][key], dtype).reshape(-1, *tail)
    return _padded(values, n)
  return read


def _objects_valid(stored, n):
  return np.arange(n) < len(np.asarray(stored['objects']['label']))


def _areas(stored, n):
  """Pixels of each object in the original image (instance mask, else box),
  for COCO's size buckets; not changed by augmentation."""
  if stored['has_instances']:
    ids = dense_map(stored['instances'], np.int64).ravel()
    return np.bincount(ids[(ids > 0) & (ids <= n)], minlength=n + 1)[1:].astype(np.float32)
  boxes = np.asarray(stored['objects']['bbox'], np.float32).reshape(-1, 4)
  height, width = np.asarray(stored['image']).shape[:2]
  return _padded((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) * np.float32(
      height * width), n)


def _reference_sizes(stored, n):
  """The diagonal of each object's reference box in pixels of the original
  image (0 where it has none), for PCKh; not changed by augmentation."""
  boxes = stored['objects'].get('reference_box')
  if boxes is None:
    return np.zeros(n, np.float32)
  boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
  height, width = np.asarray(stored['image']).shape[:2]
  sides = (boxes[:, 2:] - boxes[:, :2]) * np.array([height, width], np.float32)
  return _padded(np.hypot(sides[:, 0], sides[:, 1]), n)


FIELDS = {field.name: field for field in (
    Field('image', 'bilinear', dtype='uint8'),
    Field('segmentation', 'nearest', pad=IGNORE_LABEL, dtype='int32'),
    Field('depth', 'nearest'),  # Metres; 0 = invalid or padding.
    # i + 1 on the pixels of object i: the tight boxes after augmentation.
    Field('instances', 'nearest', dtype='int32', batched=False),
    Field('has_instances', 'none', dtype='bool', batched=False,
          read=lambda stored, n: np.bool_(stored['has_instances'])),
    Field('boxes', 'boxes', requires=('labels', 'is_crowd', 'objects_valid', 'areas',
                                      'instances', 'has_instances'),
          read=_object_reader('bbox', 'float32', (4,))),
    Field('labels', 'none', dtype='int32', read=_object_reader('label', 'int32')),
    Field('is_crowd', 'none', dtype='bool', read=_object_reader('is_crowd', 'bool')),
    Field('objects_valid', 'none', dtype='bool', read=_objects_valid),
    Field('areas', 'none', read=_areas),
    Field('reference_sizes', 'none', read=_reference_sizes),
    Field('keypoints', 'points', on_flip=swap_keypoints, requires=('boxes', 'reference_sizes'),
          read=lambda stored, n: _padded(stored['objects']['keypoints'], n).astype(
              np.float32)),
)}


def closure(names, registry=None) -> tuple[str, ...]:
  """`names`, the image and every field they require, in registry order."""
  registry = registry or FIELDS
  wanted, todo = set(), ['image', *names]
  while todo:
    name = todo.pop()
    if name not in wanted:
      wanted.add(name)
      todo += registry[name].requires
  return tuple(name for name in registry if name in wanted)
