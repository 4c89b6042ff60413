"""Input pipeline: this process's share of a TFDS split -> global jax.Arrays.

Each process reads only its part of the data (`tfds.even_splits` by
`jax.process_index()`), batches `global_batch / process_count` examples, and
the batches become global arrays sharded over the mesh's data axis with
`jax.make_array_from_process_local_data`, so multi-host runs need no change.

Training examples are augmented by `augment.random_augment` (labels move
jointly with the image; dense labels by nearest neighbour), evaluation
examples resized by `augment.resize`. A batch of B examples holds
`image` uint8 [B, H, W, 3] and, per annotation asked for in `keys`:

  segmentation  int32 [B, H, W, 1]    the ignore label on void and padding.
  depth         float32 [B, H, W, 1]  metres; 0 = invalid or padding.
  boxes or keypoints: the first N = `max_objects` objects, padded, as
    boxes          float32 [B, N, 4]  (ymin, xmin, ymax, xmax) normalised by
                                      the batch's image size (features.py).
    labels         int32 [B, N]
    is_crowd       bool [B, N]
    objects_valid  bool [B, N]        False for padding and objects that the
                                      crop removed.
    areas          float32 [B, N]     pixels in the original image (instance
                                      mask, else box), for COCO's size
                                      buckets; not changed by augmentation.
  keypoints     float32 [B, N, K, 3]  (y, x, visibility) normalised like the
                                      boxes; all 0 where visibility is 0.

Evaluation batches also hold `_valid` bool [B] (False on padding examples)
and `image_hw` int32 [B, 2], each example's original height and width.
"""

import collections
import fcntl
import functools
import hashlib
import inspect
import math
import operator
import os

import jax
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from transfer.data import augment
from transfer.data import catalog
from transfer.errors import UserError

# tf.data runs on the host; keep TensorFlow off any accelerator JAX uses.
tf.config.set_visible_devices([], 'GPU')

_OBJECT_KEYS = frozenset({'boxes', 'keypoints'})
# Used by the augmentation only, not batched.
_AUGMENT_ONLY = ('instances', 'has_instances')


def num_examples_in(builder, split: str) -> int | None:
  """Examples in `split` (a name or a TFDS slice); None if it is not prepared."""
  try:
    return builder.info.splits[split].num_examples
  except (KeyError, ValueError):
    return None


def load_builder(info: catalog.DatasetInfo, data_dir: str | None,
                 splits: tuple[str, ...], where: str):
  """The dataset's TFDS builder, generated if it is synthetic, else checked."""
  builder = catalog.builder(info, data_dir)
  if info.generated and any(num_examples_in(builder, s) is None for s in splits):
    # One process generates while any others (runners sharing the data dir)
    # wait, then read what it wrote.
    folder = os.path.dirname(builder.data_dir)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, '.prepare.lock'), 'a') as lock:
      fcntl.flock(lock, fcntl.LOCK_EX)
      builder = catalog.builder(info, data_dir)
      if any(num_examples_in(builder, s) is None for s in splits):
        builder.download_and_prepare()
  missing = [s for s in splits if num_examples_in(builder, s) is None]
  if missing:
    instructions = inspect.cleandoc(getattr(builder, 'MANUAL_DOWNLOAD_INSTRUCTIONS', '') or '')
    raise UserError(
        f'Dataset {info.name!r} is not prepared (split(s) {missing} not found '
        f'under {builder.data_dir}).',
        where=where,
        fix=f'download it by hand and build it (with `--data_dir` matching config.data_dir '
        f'if set); the builder\'s manual download steps:\n'
        f'{instructions.strip()}')
  return builder


def subset_indices(total: int, n: int | None, seed: int) -> np.ndarray:
  """Sorted indices of a fixed-seed subset of `n` of `total` examples (all
  if `n` is None or >= total).

  Index i is ranked by a hash of (seed, i), not by a random generator, so
  the subset is the same on every machine, numpy version and process count,
  and growing `n` only adds examples.
  """
  if n is None or n >= total:
    return np.arange(total)
  ranks = [hashlib.blake2b(f'{seed}:{i}'.encode(), digest_size=8).digest()
           for i in range(total)]
  return np.sort(np.argsort(ranks, kind='stable')[:n])


def read_train_split(builder, split: str, num_examples: int | None, subset_seed: int,
                     seed: int, where: str = 'config') -> tf.data.Dataset:
  """This process's share of `split`, or of its fixed-seed subset of
  `num_examples` examples (see `subset_indices`); a subset reads only the
  chosen records (one TFDS read instruction per example)."""
  total = num_examples and num_examples_in(builder, split)
  if not num_examples or not total or num_examples >= total:
    share = tfds.even_splits(split, n=jax.process_count())[jax.process_index()]
    return builder.as_dataset(split=share, shuffle_files=True,
                              read_config=tfds.ReadConfig(shuffle_seed=seed))
  chosen = subset_indices(total, num_examples, subset_seed)
  mine = chosen[jax.process_index()::jax.process_count()]
  if not mine.size:
    raise UserError(f'train_examples={num_examples} leaves process {jax.process_index()} '
                    f'of {jax.process_count()} without examples.', where=where,
                    fix='use at least one training example per process.')
  instructions = [tfds.core.ReadInstruction(split, from_=int(i), to=int(i) + 1, unit='abs')
                  for i in mine]
  return builder.as_dataset(split=functools.reduce(operator.add, instructions),
                            shuffle_files=False)


def _pad(x, n: int):
  """The first `n` rows of `x`, zero-padded to exactly `n`."""
  x = x[:n]
  x = tf.pad(x, [[0, n - tf.shape(x)[0]]] + [[0, 0]] * (x.shape.rank - 1))
  return tf.ensure_shape(x, [n, *x.shape[1:]])


def _objects(example, n: int, with_keypoints: bool) -> dict:
  """The first `n` objects, padded, with their areas and the instance map."""
  objects = example['objects']
  # Builders check the format as they write (features.invalid): boxes are
  # ordered and in [0, 1], keypoints 0 where not labelled.
  boxes = objects['bbox']
  hw = tf.cast(tf.shape(example['image'])[:2], tf.float32)
  box_areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) * (
      hw[0] * hw[1])
  instances = tf.cast(example['instances'], tf.int32)
  out = {
      'boxes': _pad(boxes, n),
      'labels': _pad(tf.cast(objects['label'], tf.int32), n),
      'is_crowd': _pad(objects['is_crowd'], n),
      'objects_valid': tf.range(n) < tf.shape(boxes)[0],
      'areas': tf.where(example['has_instances'],
                        augment.instance_areas(instances, n),
                        _pad(box_areas, n)),
      'instances': instances,
      'has_instances': example['has_instances'],
  }
  if with_keypoints:
    out['keypoints'] = _pad(objects['keypoints'], n)
  return out


def prepare(example, keys, max_objects: int) -> dict:
  """A decoded example -> the dict `augment` works on: the image, the dense
  maps in `keys` and, with boxes or keypoints, the first `max_objects`
  objects (padded), their areas and the instance map."""
  out = {'image': example['image']}
  if 'segmentation' in keys:
    out['segmentation'] = tf.cast(example['segmentation'], tf.int32)
  if 'depth' in keys:
    out['depth'] = example['depth']
  if _OBJECT_KEYS & set(keys):
    out.update(_objects(example, max_objects, 'keypoints' in keys))
  return out


def _finalise(example):
  out = {k: v for k, v in example.items() if k not in _AUGMENT_ONLY}
  out['image'] = tf.cast(tf.clip_by_value(tf.round(example['image']), 0, 255),
                         tf.uint8)
  return out


def _check_flip_map(ds, flip_map):
  """`flip_map` must permute the K keypoints of `ds` (if it has keypoints)."""
  if 'keypoints' in ds.element_spec:
    k = ds.element_spec['keypoints'].shape[1]
    if sorted(flip_map) != list(range(k)):
      raise ValueError(f'keypoint_flip_map {tuple(flip_map)} is not a '
                       f'permutation of the {k} keypoints.')


def _local_batch_size(global_batch: int, where: str) -> int:
  if global_batch % jax.device_count():
    raise UserError(
        f'Batch size {global_batch} is not divisible by the {jax.device_count()} devices.',
        where=where, fix='choose a batch size that is a multiple of the device count.')
  return global_batch // jax.process_count()


def train_dataset(builder, split: str, num_examples: int | None, keys, *,
                  size, batch_size: int, scale_range, ignore_label: int,
                  seed: int, where: str, subset_seed: int = 0, max_objects: int = 32,
                  keypoint_flip_map=(), color_jitter: float = 0.0,
                  crop_keeps_object: bool = True) -> tf.data.Dataset:
  """Endless, shuffled, augmented batches of this process's share of `split`.

  `num_examples`: train on a fixed subset of that many examples of `split`
  (chosen by `subset_seed`, see `subset_indices`; None = all), the paper's
  small target sets. `where`: the stage's place in the config, for errors.
  See `augment.random_augment` for `scale_range`,
  `keypoint_flip_map`, `color_jitter` (strength in [0, 1], 0 = off) and
  `crop_keeps_object`.
  """
  local_batch = _local_batch_size(batch_size, f'{where}.input.batch_size')
  ds = read_train_split(builder, split, num_examples, subset_seed, seed,
                        f'{where}.train_examples')
  ds = ds.map(functools.partial(prepare, keys=keys, max_objects=max_objects),
              num_parallel_calls=tf.data.AUTOTUNE)
  _check_flip_map(ds, keypoint_flip_map)
  if num_examples:
    ds = ds.cache()
  ds = ds.repeat().shuffle(1024, seed=seed).enumerate()
  process_seed = seed * 1000 + jax.process_index()

  def augment_example(index, example):
    return _finalise(augment.random_augment(
        example, size=size, scale_range=scale_range,
        ignore_label=ignore_label,
        seed=tf.stack([tf.cast(process_seed, tf.int64), index]),
        keypoint_flip_map=keypoint_flip_map, color_jitter=color_jitter,
        crop_keeps_object=crop_keeps_object))

  ds = ds.map(augment_example, num_parallel_calls=tf.data.AUTOTUNE)
  return ds.batch(local_batch, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def eval_dataset(builder, split: str, keys, *, size, batch_size: int,
                 ignore_label: int, where: str,
                 max_objects: int = 32) -> tf.data.Dataset:
  """One pass over `split`, padded so every process runs the same batch count.

  Padding examples carry `_valid = False`; evaluators give them no weight.
  """
  local_batch = _local_batch_size(batch_size, where)
  shares = tfds.even_splits(split, n=jax.process_count())
  per_process = max(num_examples_in(builder, s) for s in shares)
  num_batches = max(math.ceil(per_process / local_batch), 1)
  ds = builder.as_dataset(split=shares[jax.process_index()], shuffle_files=False)

  def preprocess(example):
    prepared = prepare(example, keys, max_objects)
    prepared.pop('instances', None)  # Areas are known; boxes need no change.
    return dict(_finalise(augment.resize(prepared, size, ignore_label)),
                _valid=True, image_hw=tf.shape(example['image'])[:2])

  ds = ds.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
  padding = ds.take(1).map(
      lambda ex: tf.nest.map_structure(tf.zeros_like, ex)).repeat()
  ds = ds.concatenate(padding).take(num_batches * local_batch)
  return ds.batch(local_batch).prefetch(tf.data.AUTOTUNE)


class GlobalBatches:
  """Iterates global arrays from a tf.data dataset, `lookahead` batches ahead."""

  def __init__(self, ds: tf.data.Dataset, sharding, lookahead: int = 2):
    self._numpy = iter(tfds.as_numpy(ds))
    self._sharding = sharding
    self._queue = collections.deque()
    self._lookahead = lookahead

  def _to_global(self, batch):
    return jax.tree.map(
        lambda x: jax.make_array_from_process_local_data(self._sharding, np.asarray(x)),
        batch)

  def __iter__(self):
    return self

  def close(self):
    self._queue.clear()
    self._numpy.close()

  def __next__(self):
    while len(self._queue) < self._lookahead:
      try:
        self._queue.append(self._to_global(next(self._numpy)))
      except StopIteration:
        break
    if not self._queue:
      raise StopIteration
    return self._queue.popleft()
