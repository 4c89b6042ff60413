"""Joint geometric and photometric augmentation of one example, in numpy.

An example is a dict of field values (fields.py: the image [H, W, 3], dense
maps [H, W, C], per-object arrays padded to N objects, boxes [N, 4]
normalised (ymin, xmin, ymax, xmax), keypoints [N, K, 3] (y, x, visibility)).
Every function loops over the fields' specs, so a field is augmented by its
declared resampling rule, pad value and flip rule, whatever its name.

A `Geometry` rescales the image to `scaled`, cuts the window of `size` at
`offset` out of it (beyond the rescaled image, at the bottom and right, is
padding: each field's pad value) and may mirror the window.

- 'bilinear': bilinear resampling with half-pixel centres (as
  tf.image.resize), computed for the window's pixels only.
- 'nearest': an explicit index map (output pixel i <- input pixel
  floor((i + 0.5) * in / out)), so values are moved, never interpolated.
- 'boxes': the tight boxes of the transformed instance map when the example
  `has_instances`, else the input boxes transformed exactly as that index map
  moves their pixels; objects with nothing left in the window become invalid.
- 'points': keypoints move as continuous points; outside the window, or on
  an invalid object, they get visibility 0 and coordinates 0.
"""

from typing import NamedTuple

import matplotlib.colors
import numpy as np

from transfer.data import fields as fields_lib

# Colour jitter ranges at strength 1: brightness +-delta (image in [0, 1]),
# contrast and saturation factors 1 +- delta, hue +-delta (in turns).
_JITTER = {'brightness': 0.2, 'contrast': 0.4, 'saturation': 0.4, 'hue': 0.1}


class Geometry(NamedTuple):
  """Sizes and offset are int [2] (rows, columns)."""
  scaled: np.ndarray  # Size of the rescaled image.
  offset: np.ndarray  # Top-left corner of the window in the rescaled image.
  size: np.ndarray    # Size of the window, i.e. of the output.
  flip: bool          # Mirror the window left-right.


def _ceil_div(a, b):
  return -((-a) // b)


def _window(g: Geometry, axis: int):
  """Positions of the window's pixels in the rescaled image along `axis`
  (mirrored columns if `g.flip`), and which lie inside it."""
  out = g.offset[axis] + np.arange(g.size[axis])
  if axis == 1 and g.flip:
    out = out[::-1]
  return out, out < g.scaled[axis]


def _inside(g: Geometry):
  rows_in, cols_in = _window(g, 0)[1], _window(g, 1)[1]
  return rows_in[:, None] & cols_in[None, :]


def _nearest(x, g: Geometry, pad):
  """Nearest-neighbour resampling of `x` [h, w, c] to the window."""
  index = []
  for axis in (0, 1):
    out, _ = _window(g, axis)
    index.append(np.minimum((2 * out + 1) * x.shape[axis] // (2 * g.scaled[axis]),
                            x.shape[axis] - 1))
  y = x[index[0]][:, index[1]]
  return np.where(_inside(g)[..., None], y, np.asarray(pad, x.dtype))


def _bilinear(x, g: Geometry, pad):
  """Bilinear resampling (half-pixel centres, as tf.image.resize) of `x`
  [h, w, c] to the window, in float32."""
  weights = []
  for axis in (0, 1):
    n = x.shape[axis]
    out, _ = _window(g, axis)
    source = (out.astype(np.float32) + 0.5) * (np.float32(n) / np.float32(g.scaled[axis])) - 0.5
    low = np.floor(source)
    lerp = (source - low).astype(np.float32)
    low = low.astype(int)
    weights.append((np.clip(low, 0, n - 1), np.clip(low + 1, 0, n - 1), lerp))
  (r0, r1, ry), (c0, c1, cx) = weights
  x = x.astype(np.float32)
  top, bottom = x[r0], x[r1]
  cx = cx[None, :, None]
  top = top[:, c0] + (top[:, c1] - top[:, c0]) * cx
  bottom = bottom[:, c0] + (bottom[:, c1] - bottom[:, c0]) * cx
  y = top + (bottom - top) * ry[:, None, None]
  return np.where(_inside(g)[..., None], y, np.float32(pad))


def _normalise(pixels, hw):
  """Integer (ymin, xmin, ymax, xmax) pixel edges [N, 4] -> [0, 1]."""
  return pixels.astype(np.float32) / np.tile(hw, 2).astype(np.float32)


def instance_boxes(instances, num_objects: int):
  """Tight normalised boxes [N, 4] of ids 1..N in `instances` [H, W, 1]
  (zero for absent ids), and which ids have pixels, bool [N]."""
  height, width = instances.shape[:2]
  ids = instances[..., 0].astype(np.int64) - 1
  ids = np.where((ids >= 0) & (ids < num_objects), ids, num_objects)
  edges = []
  for axis, length in ((0, height), (1, width)):
    coord = np.arange(length)[:, None] if axis == 0 else np.arange(length)[None, :]
    hits = np.bincount((ids * length + coord).ravel(), minlength=(num_objects + 1) * length)
    hits = hits.reshape(num_objects + 1, length)[:num_objects] > 0
    edges.append((hits.argmax(1), length - hits[:, ::-1].argmax(1)))
  present = hits.any(1)
  (r0, r1), (c0, c1) = edges
  boxes = _normalise(np.stack([r0, c0, r1, c1], -1), np.array([height, width]))
  return np.where(present[:, None], boxes, np.float32(0)), present


def _box_pixels(boxes, in_hw, scaled):
  """Rows and columns [start, end) of the rescaled image that the index map
  fills from inside each box: int [N, 2] each."""
  in_size, out_size = np.tile(in_hw, 2), np.tile(scaled, 2)
  edges = np.round(boxes * in_size.astype(np.float32)).astype(np.int64)
  # Output pixel i reads input floor((i + 0.5) * in / out), which lies in
  # [e0, e1) iff ceil(e0 * out / in - 0.5) <= i < ceil(e1 * out / in - 0.5).
  pixels = _ceil_div(2 * edges * out_size - in_size, 2 * in_size)
  return pixels[:, :2], pixels[:, 2:]


def _boxes(example, out, g: Geometry):
  """Boxes [N, 4] in the window; updates out['objects_valid']."""
  in_hw = np.array(example['image'].shape[:2])
  start, end = _box_pixels(example['boxes'], in_hw, g.scaled)
  start = np.clip(start - g.offset, 0, g.size)
  end = np.clip(end - g.offset, 0, g.size)
  valid = example['objects_valid'] & np.all(end > start, -1)
  if g.flip:
    start, end = (np.stack([start[:, 0], g.size[1] - end[:, 1]], -1),
                  np.stack([end[:, 0], g.size[1] - start[:, 1]], -1))
  boxes = np.where(valid[:, None], _normalise(np.concatenate([start, end], -1), g.size),
                   np.float32(0))
  if example.get('has_instances'):
    boxes, present = instance_boxes(out['instances'], len(boxes))
    valid = example['objects_valid'] & present
  out['objects_valid'] = valid
  return boxes


def _points(example, out, g: Geometry):
  keypoints = example['keypoints']
  scaled, offset, size = (v.astype(np.float32) for v in g[:3])
  yx = keypoints[..., :2] * scaled - offset  # Pixels in the window.
  inside = (np.all((yx >= 0) & (yx < size), -1) & (keypoints[..., 2] > 0)
            & out['objects_valid'][:, None])
  yx = yx / size
  if g.flip:
    yx = np.stack([yx[..., 0], 1 - yx[..., 1]], -1)
  return np.where(inside[..., None], np.concatenate([yx, keypoints[..., 2:]], -1),
                  np.float32(0))


# Per rule: (example, output so far, geometry, pad value) -> the field in the window.
RESAMPLERS = {
    'bilinear': lambda example, out, g, pad, name: _bilinear(example[name], g, pad),
    'nearest': lambda example, out, g, pad, name: _nearest(example[name], g, pad),
    'boxes': lambda example, out, g, pad, name: _boxes(example, out, g),
    'points': lambda example, out, g, pad, name: _points(example, out, g),
}
# Dense maps first: boxes read the transformed instance map, points the
# validity the boxes leave.
_ORDER = ('bilinear', 'nearest', 'boxes', 'points')


def transform(example, g: Geometry, dataset, registry=None) -> dict:
  """Applies the geometry `g` to every field of `example` by its spec.

  `dataset` (a catalogue entry) gives the ignore label and the keypoint
  flip map; `registry` the field specs (default fields.FIELDS).
  """
  registry = registry or fields_lib.FIELDS
  out = dict(example)
  specs = sorted((registry[name] for name in example if registry[name].resample != 'none'),
                 key=lambda spec: _ORDER.index(spec.resample))
  for spec in specs:
    out[spec.name] = RESAMPLERS[spec.resample](example, out, g, spec.pad_value(dataset),
                                               spec.name)
    if g.flip and spec.on_flip:
      out[spec.name] = spec.on_flip(out[spec.name], dataset)
  return out


def resize(example, size, dataset, registry=None) -> dict:
  """Resizes the image and dense maps to `size`; normalised boxes and
  keypoints stay as they are."""
  size = np.asarray(size)
  g = Geometry(size, np.zeros(2, int), size, False)
  registry = registry or fields_lib.FIELDS
  dense = {k: v for k, v in example.items()
           if registry[k].resample in ('bilinear', 'nearest')}
  return dict(example, **transform(dense, g, dataset, registry))


def _offsets_keeping_object(example, hw, scaled, size, room, rng):
  """Offset range [lo, hi] per axis whose window holds the rescaled box of a
  random valid non-crowd object that fits in it, or, if none fits, lies
  inside the box of a random one (as close as the image allows); [0, room]
  if there is no such object."""
  start, end = _box_pixels(example['boxes'], hw, scaled)
  candidates = example['objects_valid'] & ~example['is_crowd']
  fits = candidates & np.all(end - start <= size, -1)
  pool = np.flatnonzero(fits if fits.any() else candidates)
  if not len(pool):
    return np.zeros(2, int), room
  index = pool[min(int(rng.random() * len(pool)), len(pool) - 1)]
  # Window [o, o + size) holds [start, end) iff end - size <= o <= start.
  bounds = (start[index], end[index] - size)
  return (np.clip(np.minimum(*bounds), 0, room), np.clip(np.maximum(*bounds), 0, room))


def random_geometry(example, size, scale_range, rng: np.random.Generator,
                    keep_object: bool = True) -> Geometry:
  """Draws a scale in `scale_range` (of the example's size), a `size` window
  and a flip (probability 1/2) from `rng`.

  The window is uniform over the rescaled image, unless `keep_object` and the
  example has a valid non-crowd object (see `_offsets_keeping_object`).
  """
  hw = np.array(example['image'].shape[:2])
  size = np.asarray(size)
  scale = rng.uniform(*scale_range)
  scaled = np.maximum(np.round(hw * scale).astype(int), 1)
  room = np.maximum(scaled - size, 0)
  lo, hi = np.zeros(2, int), room
  if keep_object and 'boxes' in example:
    lo, hi = _offsets_keeping_object(example, hw, scaled, size, room, rng)
  offset = lo + np.minimum((rng.random(2) * (hi - lo + 1)).astype(int), hi - lo)
  return Geometry(scaled, offset, size, bool(rng.random() < 0.5))


def jitter_colors(image, strength: float, rng: np.random.Generator):
  """Random brightness, contrast, saturation and hue (in this order) of an
  image [H, W, 3] in [0, 255]; `strength` in (0, 1] scales the ranges."""
  if not 0 < strength <= 1:
    raise ValueError(f'Colour jitter strength {strength} is not in (0, 1].')
  delta = {name: value * strength for name, value in _JITTER.items()}
  x = np.asarray(image, np.float32) / 255
  x = x + rng.uniform(-delta['brightness'], delta['brightness'])
  mean = x.mean((0, 1), keepdims=True)
  x = np.clip((x - mean) * rng.uniform(1 - delta['contrast'], 1 + delta['contrast']) + mean,
              0, 1)
  hsv = matplotlib.colors.rgb_to_hsv(x)
  hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(1 - delta['saturation'],
                                                  1 + delta['saturation']), 0, 1)
  hsv[..., 0] = (hsv[..., 0] + rng.uniform(-delta['hue'], delta['hue'])) % 1.0
  return (np.clip(matplotlib.colors.hsv_to_rgb(hsv), 0, 1) * 255).astype(np.float32)


def random_augment(example, *, size, scale_range, dataset, rng: np.random.Generator,
                   color_jitter: float = 0.0, crop_keeps_object: bool = True,
                   registry=None) -> dict:
  """A random geometry (`random_geometry`) applied to every field, then
  colour jitter of the window (if `color_jitter` > 0; padding stays 0)."""
  g = random_geometry(example, size, scale_range, rng, crop_keeps_object)
  out = transform(example, g, dataset, registry)
  if color_jitter:
    jittered = jitter_colors(out['image'], color_jitter, rng)
    out['image'] = np.where(_inside(g)[..., None], jittered, out['image'])
  return out
