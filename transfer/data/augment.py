"""Joint geometric and photometric augmentation of one example, in TF ops.

The functions work on the input pipeline's per-example dict
(`pipeline.prepare`); keys other than these pass through unchanged:

  image          [H, W, 3]         RGB, uint8 or float32 in [0, 255].
  segmentation, depth, instances
                 [H, W, 1]         dense maps (any subset of DENSE_KEYS).
  boxes          float32 [N, 4]    (ymin, xmin, ymax, xmax), normalised as in
                                   features.py. With boxes come:
  objects_valid  bool [N]
  is_crowd       bool [N]
  has_instances  bool []           whether `instances` annotates the objects.
  keypoints      float32 [N, K, 3] (y, x, visibility), optional.

A `Geometry` rescales the image to `scaled`, cuts the window of `size` at
`offset` out of it (beyond the rescaled image, at the bottom and right, is
padding: image 0, segmentation the ignore label, depth and instances 0) and
may mirror the window. The image is resampled bilinearly; dense maps take
nearest neighbours by an explicit index map (output pixel i <- input pixel
floor((i + 0.5) * in / out)), so their values are moved, never interpolated.
Boxes become the tight boxes of the transformed instance map when
`has_instances`, else the input boxes transformed exactly as that index map
moves their pixels; objects with nothing left in the window become invalid.
Keypoints move as continuous points; outside the window, or on an invalid
object, they get visibility 0 and coordinates 0.
"""

from typing import NamedTuple

import tensorflow as tf

DENSE_KEYS = ('segmentation', 'depth', 'instances')
# Colour jitter ranges at strength 1: brightness +-delta (image in [0, 1]),
# contrast and saturation factors 1 +- delta, hue +-delta (in turns).
_JITTER = {'brightness': 0.2, 'contrast': 0.4, 'saturation': 0.4, 'hue': 0.1}


class Geometry(NamedTuple):
  """Sizes and offset are int32 [2] (rows, columns); flip is bool []."""
  scaled: tf.Tensor  # Size of the rescaled image.
  offset: tf.Tensor  # Top-left corner of the window in the rescaled image.
  size: tf.Tensor    # Size of the window, i.e. of the output.
  flip: tf.Tensor    # Mirror the window left-right.


def _ceil_div(a, b):
  return -tf.math.floordiv(-a, b)


def _indices(in_size, g: Geometry, axis: int):
  """Input index of every output pixel along `axis`, and which are inside."""
  scaled = g.scaled[axis]
  out = g.offset[axis] + tf.range(g.size[axis])
  index = tf.minimum((2 * out + 1) * in_size // (2 * scaled), in_size - 1)
  return index, out < scaled


def _take(x, g: Geometry, pad):
  """Nearest-neighbour resampling of `x` [h, w, c] to the window."""
  hw = tf.shape(x)[:2]
  rows, rows_in = _indices(hw[0], g, 0)
  cols, cols_in = _indices(hw[1], g, 1)
  cols, cols_in = (tf.where(g.flip, v[::-1], v) for v in (cols, cols_in))
  x = tf.gather(tf.gather(x, rows), cols, axis=1)
  inside = rows_in[:, None, None] & cols_in[None, :, None]
  return tf.where(inside, x, tf.cast(pad, x.dtype))


def _resample(example, g: Geometry, ignore_label: int) -> dict:
  # After a bilinear resize to `scaled` the index map is the identity.
  image = tf.image.resize(example['image'], g.scaled, 'bilinear')
  out = {'image': _take(image, g, 0)}
  for key in DENSE_KEYS:
    if key in example:
      pad = ignore_label if key == 'segmentation' else 0
      out[key] = _take(example[key], g, pad)
  return out


def _normalise(pixels, hw):
  """Integer (ymin, xmin, ymax, xmax) pixel edges [N, 4] -> [0, 1]."""
  return tf.cast(pixels, tf.float32) / tf.cast(tf.tile(hw, [2]), tf.float32)


def _segment_ids(instances, num_objects: int):
  """Flat object index per pixel; no object or an id beyond N -> N."""
  ids = tf.reshape(tf.cast(instances, tf.int32), [-1]) - 1
  return tf.where((ids >= 0) & (ids < num_objects), ids, num_objects)


def instance_areas(instances, num_objects: int):
  """Pixel counts float32 [N] of ids 1..N in `instances` [H, W, 1]."""
  ids = _segment_ids(instances, num_objects)
  return tf.math.unsorted_segment_sum(
      tf.ones_like(ids, tf.float32), ids, num_objects + 1)[:num_objects]


def instance_boxes(instances, num_objects: int):
  """Tight normalised boxes [N, 4] of ids 1..N in `instances` [H, W, 1]
  (zero for absent ids), and which ids have pixels, bool [N]."""
  hw = tf.shape(instances)[:2]
  rows, cols = tf.meshgrid(tf.range(hw[0]), tf.range(hw[1]), indexing='ij')
  # One segment minimum gives the first rows and columns and, negated, the
  # (exclusive) last ones.
  coords = tf.reshape(tf.stack([rows, cols, -rows - 1, -cols - 1], -1),
                      [-1, 4])
  low = tf.math.unsorted_segment_min(
      coords, _segment_ids(instances, num_objects),
      num_objects + 1)[:num_objects]
  present = low[:, 0] < hw[0]  # Empty segments give the int32 maximum.
  boxes = _normalise(tf.concat([low[:, :2], -low[:, 2:]], -1), hw)
  return tf.where(present[:, None], boxes, 0.0), present


def _box_pixels(boxes, in_hw, scaled):
  """Rows and columns [start, end) of the rescaled image that the index map
  fills from inside each box: int32 [N, 2] each."""
  in_size, out_size = tf.tile(in_hw, [2]), tf.tile(scaled, [2])
  edges = tf.cast(tf.round(boxes * tf.cast(in_size, tf.float32)), tf.int32)
  # Output pixel i reads input floor((i + 0.5) * in / out), which lies in
  # [e0, e1) iff ceil(e0 * out / in - 0.5) <= i < ceil(e1 * out / in - 0.5).
  pixels = _ceil_div(2 * edges * out_size - in_size, 2 * in_size)
  return pixels[:, :2], pixels[:, 2:]


def _transform_boxes(example, out, g: Geometry, in_hw):
  """Boxes [N, 4] and validity [N] in the window."""
  start, end = _box_pixels(example['boxes'], in_hw, g.scaled)
  start = tf.clip_by_value(start - g.offset, 0, g.size)
  end = tf.clip_by_value(end - g.offset, 0, g.size)
  valid = example['objects_valid'] & tf.reduce_all(end > start, -1)
  width = g.size[1]
  mirrored_start = tf.stack([start[:, 0], width - end[:, 1]], -1)
  mirrored_end = tf.stack([end[:, 0], width - start[:, 1]], -1)
  start = tf.where(g.flip, mirrored_start, start)
  end = tf.where(g.flip, mirrored_end, end)
  boxes = tf.where(valid[:, None],
                   _normalise(tf.concat([start, end], -1), g.size), 0.0)
  if 'instances' in out:
    tight, present = instance_boxes(out['instances'],
                                    example['boxes'].shape[0])
    boxes = tf.where(example['has_instances'], tight, boxes)
    valid = tf.where(example['has_instances'],
                     example['objects_valid'] & present, valid)
  return boxes, valid


def _transform_keypoints(keypoints, valid, g: Geometry, flip_map):
  scaled, offset, size = (tf.cast(v, tf.float32) for v in g[:3])
  yx = keypoints[..., :2] * scaled - offset  # Pixels in the window.
  inside = (tf.reduce_all((yx >= 0) & (yx < size), -1)
            & (keypoints[..., 2] > 0) & valid[:, None])
  yx /= size
  yx = tf.where(g.flip, tf.stack([yx[..., 0], 1 - yx[..., 1]], -1), yx)
  keypoints = tf.where(inside[..., None],
                       tf.concat([yx, keypoints[..., 2:]], -1), 0.0)
  if flip_map:
    keypoints = tf.where(g.flip, tf.gather(keypoints, flip_map, axis=1),
                         keypoints)
  return keypoints


def transform(example, g: Geometry, *, ignore_label: int,
              keypoint_flip_map=()) -> dict:
  """Applies the geometry `g` to the image, dense maps, boxes and keypoints.

  `keypoint_flip_map[k]` is the keypoint that becomes keypoint k when the
  image is mirrored.
  """
  out = dict(example, **_resample(example, g, ignore_label))
  if 'boxes' in example:
    in_hw = tf.shape(example['image'])[:2]
    out['boxes'], out['objects_valid'] = _transform_boxes(example, out, g,
                                                          in_hw)
    if 'keypoints' in example:
      out['keypoints'] = _transform_keypoints(
          example['keypoints'], out['objects_valid'], g, keypoint_flip_map)
  return out


def resize(example, size, ignore_label: int) -> dict:
  """Resizes the image and dense maps to `size`; normalised boxes and
  keypoints need no change."""
  size = tf.convert_to_tensor(size, tf.int32)
  g = Geometry(size, tf.zeros([2], tf.int32), size, tf.constant(False))
  return dict(example, **_resample(example, g, ignore_label))


def _offsets_keeping_object(example, hw, scaled, size, room, seed):
  """Offset range [lo, hi] per axis whose window holds the rescaled box of a
  random valid non-crowd object that fits in it, or, if none fits, lies
  inside the box of a random one (as close as the image allows); [0, room]
  if there is no such object."""
  start, end = _box_pixels(example['boxes'], hw, scaled)
  candidates = example['objects_valid'] & ~example['is_crowd']
  fits = candidates & tf.reduce_all(end - start <= size, -1)
  pool = tf.cast(tf.where(tf.reduce_any(fits), fits, candidates), tf.int32)
  count = tf.reduce_sum(pool)
  pick = tf.cast(tf.random.stateless_uniform([], seed)
                 * tf.cast(count, tf.float32), tf.int32)
  index = tf.argmax(tf.cast(tf.cumsum(pool) > pick, tf.int32))
  # Window [o, o + size) holds [start, end) iff end - size <= o <= start.
  bounds = (start[index], end[index] - size)
  lo = tf.clip_by_value(tf.minimum(*bounds), 0, room)
  hi = tf.clip_by_value(tf.maximum(*bounds), 0, room)
  return tf.where(count > 0, lo, 0), tf.where(count > 0, hi, room)


def random_geometry(example, size, scale_range, seed,
                    keep_object: bool = True) -> Geometry:
  """Draws a scale in `scale_range` (of the example's size), a `size` window
  and a flip (probability 1/2) from `seed` (int [2]).

  The window is uniform over the rescaled image, unless `keep_object` and the
  example has a valid non-crowd object (see `_offsets_keeping_object`).
  """
  seeds = tf.unstack(tf.random.experimental.stateless_split(seed, 4))
  hw = tf.shape(example['image'])[:2]
  size = tf.convert_to_tensor(size, tf.int32)
  scale = tf.random.stateless_uniform([], seeds[0], *scale_range)
  scaled = tf.maximum(
      tf.cast(tf.round(tf.cast(hw, tf.float32) * scale), tf.int32), 1)
  room = tf.maximum(scaled - size, 0)
  lo, hi = tf.zeros([2], tf.int32), room
  if keep_object and 'boxes' in example:
    lo, hi = _offsets_keeping_object(example, hw, scaled, size, room,
                                     seeds[1])
  draw = tf.random.stateless_uniform([2], seeds[2])
  offset = lo + tf.minimum(
      tf.cast(draw * tf.cast(hi - lo + 1, tf.float32), tf.int32), hi - lo)
  flip = tf.random.stateless_uniform([], seeds[3]) < 0.5
  return Geometry(scaled, offset, size, flip)


def jitter_colors(image, strength: float, seed):
  """Random brightness, contrast, saturation and hue (in this order) of an
  image in [0, 255]; `strength` in (0, 1] scales the ranges (_JITTER)."""
  if not 0 < strength <= 1:
    raise ValueError(f'Colour jitter strength {strength} is not in (0, 1].')
  seeds = tf.unstack(tf.random.experimental.stateless_split(seed, 4))
  delta = {name: value * strength for name, value in _JITTER.items()}
  x = tf.cast(image, tf.float32) / 255
  x = tf.image.stateless_random_brightness(x, delta['brightness'], seeds[0])
  x = tf.image.stateless_random_contrast(
      x, 1 - delta['contrast'], 1 + delta['contrast'], seeds[1])
  x = tf.image.stateless_random_saturation(
      tf.clip_by_value(x, 0, 1), 1 - delta['saturation'],
      1 + delta['saturation'], seeds[2])
  x = tf.image.stateless_random_hue(x, delta['hue'], seeds[3])
  return tf.clip_by_value(x, 0, 1) * 255


def random_augment(example, *, size, scale_range, ignore_label: int, seed,
                   keypoint_flip_map=(), color_jitter: float = 0.0,
                   crop_keeps_object: bool = True) -> dict:
  """Colour jitter (if `color_jitter` > 0) and a random geometry, drawn
  statelessly from `seed` (int [2]); see `random_geometry` and `transform`."""
  geometry_seed, color_seed = tf.unstack(
      tf.random.experimental.stateless_split(seed, 2))
  if color_jitter:
    example = dict(example, image=jitter_colors(example['image'],
                                                color_jitter, color_seed))
  g = random_geometry(example, size, scale_range, geometry_seed,
                      crop_keeps_object)
  return transform(example, g, ignore_label=ignore_label,
                   keypoint_flip_map=keypoint_flip_map)
