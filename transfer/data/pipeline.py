"""Input pipeline: this process's share of a TFDS split -> global jax.Arrays.

Each process reads only its part of the data (`tfds.even_splits` by
`jax.process_index()`), batches `global_batch / process_count` examples, and
the batches become global arrays sharded over the mesh's data axis with
`jax.make_array_from_process_local_data`, so multi-host runs need no change.

Dense labels are resampled jointly with the image: bilinear for the image,
nearest neighbour for segmentation and depth (depth values are moved, never
rescaled), padded with the label's invalid value.
"""

import collections
import math

import jax
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from transfer.data import catalog
from transfer.errors import UserError

# tf.data runs on the host; keep TensorFlow off any accelerator JAX uses.
tf.config.set_visible_devices([], 'GPU')

# Per dense key: (resize method, padding value or None for the ignore label).
_DENSE_KEYS = {'segmentation': ('nearest', None), 'depth': ('nearest', 0.0)}


def num_examples(builder, split: str) -> int | None:
  """Examples in `split` (a name or a TFDS slice); None if it is not prepared."""
  try:
    return builder.info.splits[split].num_examples
  except (KeyError, ValueError):
    return None


def load_builder(info: catalog.DatasetInfo, data_dir: str | None,
                 splits: tuple[str, ...], where: str):
  """The dataset's TFDS builder, generated if it is synthetic, else checked."""
  catalog.import_builder(info)
  builder = tfds.builder(info.tfds_name, data_dir=data_dir)
  if info.generated and any(num_examples(builder, s) is None for s in splits):
    builder.download_and_prepare()
  missing = [s for s in splits if num_examples(builder, s) is None]
  if missing:
    instructions = getattr(builder, 'MANUAL_DOWNLOAD_INSTRUCTIONS', '') or ''
    raise UserError(
        f'Dataset {info.name!r} is not prepared (split(s) {missing} not found '
        f'under {builder.data_dir}).',
        where=where,
        fix=f'download it by hand, then run `tfds build {info.builder_module.replace(".", "/")}.py`'
        f' or `python -c "import {info.builder_module}; import tensorflow_datasets as tfds; '
        f'tfds.builder(\'{info.tfds_name}\', data_dir=DATA_DIR).download_and_prepare()"`'
        f' with the download in the manual dir. Manual download steps:\n'
        f'{instructions.strip()}')
  return builder


def _process_split(split: str, num_examples: int | None) -> str:
  if num_examples:
    split = f'{split}[:{num_examples}]'
  return tfds.even_splits(split, n=jax.process_count())[jax.process_index()]


def _resize(example, keys, size, ignore_label):
  out = {'image': tf.image.resize(example['image'], size, 'bilinear')}
  for key in keys:
    out[key] = tf.image.resize(example[key], size, _DENSE_KEYS[key][0])
  return out


def _pad_value(key, ignore_label):
  value = _DENSE_KEYS[key][1]
  return ignore_label if value is None else value


def _random_scale_crop_flip(example, keys, size, scale_range, ignore_label, seed):
  """Jointly rescales, crops to `size` and flips the image and its dense labels."""
  seeds = tf.random.experimental.stateless_split(seed, 4)
  hw = tf.cast(tf.shape(example['image'])[:2], tf.float32)
  scale = tf.random.stateless_uniform([], seeds[0], *scale_range)
  scaled = tf.cast(tf.round(hw * scale), tf.int32)
  example = _resize(example, keys, scaled, ignore_label)
  pad = tf.maximum(size - scaled, 0)
  room = tf.maximum(scaled - size, 0) + 1
  top = tf.random.stateless_uniform([], seeds[1], 0, room[0], tf.int32)
  left = tf.random.stateless_uniform([], seeds[2], 0, room[1], tf.int32)
  flip = tf.random.stateless_uniform([], seeds[3]) < 0.5
  out = {}
  for key, value in example.items():
    fill = 0 if key == 'image' else _pad_value(key, ignore_label)
    value = tf.pad(value, [[0, pad[0]], [0, pad[1]], [0, 0]],
                   constant_values=tf.cast(fill, value.dtype))
    value = value[top:top + size[0], left:left + size[1]]
    out[key] = tf.cond(flip, lambda v=value: v[:, ::-1], lambda v=value: v)
  return out


def _select(example, keys):
  out = {'image': example['image']}
  for key in keys:
    out[key] = example[key]
  return out


def _finalise(example):
  example['image'] = tf.cast(tf.clip_by_value(tf.round(example['image']), 0, 255), tf.uint8)
  if 'segmentation' in example:
    example['segmentation'] = tf.cast(example['segmentation'], tf.int32)
  return example


def _local_batch_size(global_batch: int, where: str) -> int:
  if global_batch % jax.device_count():
    raise UserError(
        f'Batch size {global_batch} is not divisible by the {jax.device_count()} devices.',
        where=where, fix='choose a batch size that is a multiple of the device count.')
  return global_batch // jax.process_count()


def train_dataset(builder, split: str, num_examples: int | None, keys, *,
                  size, batch_size: int, scale_range, ignore_label: int,
                  seed: int, where: str) -> tf.data.Dataset:
  """Endless, shuffled, augmented batches of this process's share of `split`."""
  local_batch = _local_batch_size(batch_size, where)
  ds = builder.as_dataset(split=_process_split(split, num_examples),
                          shuffle_files=True,
                          read_config=tfds.ReadConfig(shuffle_seed=seed))
  ds = ds.map(lambda ex: _select(ex, keys)).cache() if num_examples else ds.map(
      lambda ex: _select(ex, keys))
  ds = ds.repeat().shuffle(1024, seed=seed).enumerate()
  size = tf.constant(size, tf.int32)
  process_seed = seed * 1000 + jax.process_index()

  def augment(index, example):
    example = dict(example, image=tf.cast(example['image'], tf.float32))
    return _finalise(_random_scale_crop_flip(
        example, keys, size, scale_range, ignore_label,
        tf.stack([tf.cast(process_seed, tf.int64), index])))

  ds = ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
  return ds.batch(local_batch, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def eval_dataset(builder, split: str, keys, *, size, batch_size: int,
                 ignore_label: int, where: str) -> tuple[tf.data.Dataset, int]:
  """One pass over `split`, padded so every process runs the same batch count.

  Padding examples carry `_valid = False`; evaluators give them no weight.
  """
  local_batch = _local_batch_size(batch_size, where)
  shares = tfds.even_splits(split, n=jax.process_count())
  per_process = max(num_examples(builder, s) for s in shares)
  num_batches = max(math.ceil(per_process / local_batch), 1)
  ds = builder.as_dataset(split=shares[jax.process_index()], shuffle_files=False)

  def preprocess(example):
    example = _resize(_select(example, keys), keys, size, ignore_label)
    return dict(_finalise(example), _valid=True)

  ds = ds.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
  padding = ds.take(1).map(
      lambda ex: tf.nest.map_structure(tf.zeros_like, ex)).repeat()
  ds = ds.concatenate(padding).take(num_batches * local_batch)
  return ds.batch(local_batch).prefetch(tf.data.AUTOTUNE), num_batches


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
