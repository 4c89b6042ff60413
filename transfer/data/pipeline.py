"""Input pipeline: random access into a prepared TFDS split -> global jax.Arrays.

Datasets are read through TFDS data sources (random access into the
array_record files every builder writes: catalog.builder) and Grain.
The order is a pure function of the seed and the position, never of how far
an iterator got:

  global position p = batch * global_batch + slot,
  epoch = p // M, example = subset[index_shuffle(p % M, seed, epoch)],

where `subset` holds the M training examples (all, or a fixed-seed subset:
`subset_indices`) and `index_shuffle` is Grain's global, index-based
permutation. Process k reads the slots [k * B/P, (k + 1) * B/P) of every
global batch of B, and the augmentation draws from (seed, p). So a batch is
the same on every machine and process count, and an iterator is resumed
exactly from its state (`Batches.state`, saved in every checkpoint).

Each example is read into the fields a task asks for (fields.py), augmented
by `augment.random_augment` (training) or resized by `augment.resize`
(evaluation) and batched. A batch of B examples holds `image` uint8
[B, H, W, 3] and, per field: segmentation int32 [B, H, W, 1] (the ignore
label on void and padding), depth float32 [B, H, W, 1] (metres, 0 =
invalid), and with boxes or keypoints the first N = `max_objects` objects,
padded: boxes float32 [B, N, 4] (ymin, xmin, ymax, xmax) normalised by the
batch's image size, labels int32 [B, N], is_crowd and objects_valid bool
[B, N] (False for padding and for objects the crop removed), areas float32
[B, N] (pixels in the original image), keypoints float32 [B, N, K, 3]
(y, x, visibility; all 0 where visibility is 0) with reference_sizes float32
[B, N] (the diagonal of each object's reference box in original pixels, 0
where none: MPII's head size). Evaluation batches also hold
`_valid` bool [B] (False on padding examples) and `image_hw` int32 [B, 2],
each example's original height and width.
"""

import collections
import fcntl
import hashlib
import inspect
import math
import os
import shutil

import grain
import jax
import numpy as np
import tensorflow_datasets as tfds

from transfer import multihost
from transfer.data import augment
from transfer.data import catalog
from transfer.data import fields as fields_lib
from transfer.errors import UserError

ARRAY_RECORD = 'array_record'
_SHUFFLE_ROUNDS = 4


def num_examples_in(builder, split: str) -> int | None:
  """Examples in `split` (a name or a TFDS slice); None if it is not prepared."""
  try:
    return builder.info.splits[split].num_examples
  except (KeyError, ValueError):
    return None


def _has_array_record(builder) -> bool:
  formats = [builder.info.file_format, *builder.info.alternative_file_formats]
  return any(str(getattr(f, 'value', f)) == ARRAY_RECORD for f in formats)


def load_builder(info: catalog.DatasetInfo, data_dir: str | None,
                 splits: tuple[str, ...], where: str):
  """The dataset's TFDS builder, prepared in the array_record format: built
  here if it is generated (synthetic), else checked. In a multi-process job
  process 0 prepares it while the others wait, then they read it (or, with
  a data dir of their own, render their copy)."""
  return multihost.zero_first(_load_builder, info, data_dir, splits, where)


def _load_builder(info, data_dir, splits, where):
  builder = catalog.builder(info, data_dir)
  missing = lambda b: any(num_examples_in(b, s) is None for s in splits)
  if info.generated and (missing(builder) or not _has_array_record(builder)):
    # One process generates while any others (runners sharing the data dir)
    # wait, then read what it wrote.
    folder = os.path.dirname(builder.data_dir)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, '.prepare.lock'), 'a') as lock:
      fcntl.flock(lock, fcntl.LOCK_EX)
      builder = catalog.builder(info, data_dir)
      if not missing(builder) and not _has_array_record(builder):
        # Rendered by an older version in another file format: render again.
        shutil.rmtree(builder.data_dir)
        builder = catalog.builder(info, data_dir)
      if missing(builder):
        import tensorflow as tf  # pylint: disable=g-import-not-at-top
        tf.config.set_visible_devices([], 'GPU')  # Encoding runs on the host, not JAX's GPU.
        builder.download_and_prepare()
  absent = [s for s in splits if num_examples_in(builder, s) is None]
  if absent:
    instructions = inspect.cleandoc(getattr(builder, 'MANUAL_DOWNLOAD_INSTRUCTIONS', '') or '')
    raise UserError(
        f'Dataset {info.name!r} is not prepared (split(s) {absent} not found '
        f'under {builder.data_dir}).',
        where=where,
        fix=f'download it by hand and build it (with `--data_dir` matching config.data_dir '
        f'if set); the builder\'s manual download steps:\n'
        f'{instructions.strip()}')
  if not _has_array_record(builder):
    raise UserError(
        f'Dataset {info.name!r} under {builder.data_dir} is prepared in the '
        f'{builder.info.file_format.value} format; the pipeline reads array_record.',
        where=where, fix=f'build it again in array_record: `python -m transfer.data.build '
        f'{info.name} --manual_dir=DIR --overwrite` (with --data_dir if set), which writes '
        'that format.')
  empty = [s for s in splits if not num_examples_in(builder, s)]
  if empty:
    raise UserError(f'Dataset {info.name!r} has no examples in split(s) {empty} '
                    f'(under {builder.data_dir}).', where=where,
                    fix='check the manual download (a split\'s files are missing) and '
                    'build the dataset again.')
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


def input_size(input_config, dataset: catalog.DatasetInfo) -> tuple[int, int]:
  """The training crop: `input.size`, else the dataset's crop size rounded
  up to a multiple of 32 (so every backbone's strides divide it)."""
  if input_config.size:
    return tuple(input_config.size)
  return tuple(-(-side // 32) * 32 for side in dataset.crop_size)


def _local_batch_size(global_batch: int, where: str) -> int:
  if global_batch % jax.device_count():
    raise UserError(
        f'Batch size {global_batch} is not divisible by the {jax.device_count()} devices.',
        where=where, fix='choose a batch size that is a multiple of the device count.')
  return global_batch // jax.process_count()


class StoredExamples:
  """Random access to the stored examples of a split (features.py format,
  numpy). Dense maps in `skip` are not decoded (their bytes stay)."""

  def __init__(self, builder, split: str, skip=()):
    features = builder.info.features
    # uint16 PNGs decode here: TFDS needs OpenCV for them.
    self._png = {name for name in ('segmentation', 'instances')
                 if name in features and name not in skip}
    self.source = builder.as_data_source(
        split, decoders={name: tfds.decode.SkipDecoding() for name in {*skip, *self._png}})

  def __len__(self):
    return len(self.source)

  def __getitem__(self, index: int) -> dict:
    stored = dict(self.source[int(index)])
    for name in self._png:
      stored[name] = fields_lib.dense_map(stored[name], np.uint16)
    stored['objects'] = {k: np.asarray(v) for k, v in stored['objects'].items()}
    return stored


class Reader:
  """Random access to the examples of one split, read into `names` (fields)."""

  def __init__(self, builder, split: str, names, max_objects: int):
    self.names = fields_lib.closure(names)
    self.max_objects = max_objects
    unread = {'segmentation', 'depth', 'instances'} - set(self.names)
    self.source = StoredExamples(builder, split, skip=unread & set(builder.info.features))

  def __len__(self):
    return len(self.source)

  def __getitem__(self, index: int) -> dict:
    return read_fields(self.source[int(index)], self.names, self.max_objects)


def read_fields(stored: dict, names, max_objects: int) -> dict:
  """A stored example (features.py) read into the fields `names` (fields.py)."""
  return {name: fields_lib.FIELDS[name].read_from(stored, max_objects) for name in names}


def _finalise(example) -> dict:
  """The batched fields, in their batch dtypes."""
  out = {}
  for name, value in example.items():
    spec = fields_lib.FIELDS.get(name)
    if spec is None or spec.batched:
      if name == 'image':
        value = np.clip(np.round(value), 0, 255)
      out[name] = np.asarray(value, spec.dtype if spec else None)
  return out


def _check_flip_map(dataset, names):
  if 'keypoints' in names and sorted(dataset.keypoint_flip_map) != list(
      range(dataset.num_keypoints)):
    raise ValueError(f'keypoint_flip_map {tuple(dataset.keypoint_flip_map)} of '
                     f'{dataset.name} is not a permutation of its '
                     f'{dataset.num_keypoints} keypoints.')


class _TrainExample:
  """Local element q -> the augmented example at its global position."""

  def __init__(self, reader, dataset, config, subset, local_batch):
    self.reader, self.dataset, self.subset = reader, dataset, subset
    self.input, self.seed = config.input, config.seed
    self.size = input_size(config.input, dataset)
    self.local_batch = local_batch
    self.global_batch = config.input.batch_size

  def position(self, q: int) -> int:
    batch, slot = divmod(q, self.local_batch)
    return batch * self.global_batch + jax.process_index() * self.local_batch + slot

  def index(self, p: int) -> int:
    epoch, i = divmod(p, len(self.subset))
    shuffled = grain.experimental.index_shuffle(
        i, max_index=len(self.subset) - 1, seed=(self.seed * 1_000_003 + epoch) % 2**32,
        rounds=_SHUFFLE_ROUNDS)
    return int(self.subset[shuffled])

  def __call__(self, q: int) -> dict:
    p = self.position(q)
    rng = np.random.default_rng([self.seed, p])
    return _finalise(augment.random_augment(
        self.reader[self.index(p)], size=self.size, scale_range=tuple(self.input.scale_range),
        dataset=self.dataset, rng=rng, color_jitter=self.input.color_jitter,
        crop_keeps_object=self.input.crop_keeps_object))


class Batches:
  """This process's batches of a Grain dataset, and where the iterator is.

  `state` is what a checkpoint stores: the index of the next batch and what
  fixes the order (seed, global batch, examples); `state` values restore
  with `train_batches(..., state=...)` on any number of processes.
  """

  def __init__(self, dataset, state: dict):
    self._iterator = iter(dataset)
    self.state = dict(state)

  def __iter__(self):
    return self

  def __next__(self):
    batch = next(self._iterator)
    self.state['next_batch'] += 1
    return batch

  def close(self):
    close = getattr(self._iterator, 'close', None)
    if close:
      close()


def _read_options(input_config) -> grain.ReadOptions:
  return grain.ReadOptions(num_threads=input_config.threads,
                           prefetch_buffer_size=input_config.prefetch)


def train_batches(builder, dataset: catalog.DatasetInfo, names, config, *,
                  state: dict | None = None, where: str = 'config') -> Batches:
  """Augmented batches of `dataset`'s train split for `config.steps` steps.

  `config` is a stage config: `input` (size, batch_size, scale_range,
  max_objects, color_jitter, crop_keeps_object, threads, prefetch), `seed`
  (data order and augmentation), `train_examples` and `train_subset_seed`
  (train on a fixed subset of that many examples, the paper's small target
  sets; None = all). `state` (a `Batches.state`) resumes where it left off.
  """
  local_batch = _local_batch_size(config.input.batch_size, f'{where}.input.batch_size')
  _check_flip_map(dataset, names)
  reader = Reader(builder, dataset.train_split, names, config.input.max_objects)
  subset = subset_indices(len(reader), config.train_examples, config.train_subset_seed)
  fresh = {'next_batch': 0, 'seed': config.seed, 'global_batch': config.input.batch_size,
           'examples': int(len(subset)), 'dataset': dataset.name}
  if state is not None:
    expected = {k: v for k, v in fresh.items() if k != 'next_batch'}
    found = {k: state.get(k) for k in expected}
    if found != expected:
      raise UserError(
          f'The checkpoint\'s input state {found} is not this config\'s {expected}.',
          where=f'{where} / --workdir',
          fix='use a new --workdir for a changed config (the old checkpoints are kept).')
  start = (state or fresh)['next_batch']
  example = _TrainExample(reader, dataset, config, subset, local_batch)
  ds = grain.MapDataset.range(start * local_batch, config.steps * local_batch).map(example)
  ds = ds.to_iter_dataset(_read_options(config.input)).batch(local_batch, drop_remainder=True)
  return Batches(ds, dict(fresh, next_batch=start))


class _EvalExample:
  def __init__(self, reader, dataset, size):
    self.reader, self.dataset, self.size = reader, dataset, size

  def __call__(self, index: int) -> dict:
    example = self.reader[max(index, 0)]
    hw = np.array(example['image'].shape[:2], np.int32)
    out = dict(_finalise(augment.resize(example, self.size, self.dataset)),
               _valid=np.bool_(True), image_hw=hw)
    if index < 0:  # Padding: zeros, no weight.
      out = {k: np.zeros_like(v) for k, v in out.items()}
    return out


def eval_batches(builder, dataset: catalog.DatasetInfo, names, input_config,
                 where: str) -> Batches:
  """One pass over the eval split, padded so every process runs the same
  batch count (padding examples carry `_valid = False`)."""
  local_batch = _local_batch_size(input_config.eval_batch_size, where)
  reader = Reader(builder, dataset.eval_split, names, input_config.max_objects)
  shares = np.array_split(np.arange(len(reader)), jax.process_count())
  num_batches = max(math.ceil(max(len(s) for s in shares) / local_batch), 1)
  mine = shares[jax.process_index()]
  indices = np.concatenate([mine, np.full(num_batches * local_batch - len(mine), -1)])
  size = tuple(input_config.eval_size or input_size(input_config, dataset))
  ds = grain.MapDataset.source(indices.tolist()).map(_EvalExample(reader, dataset, size))
  ds = ds.to_iter_dataset(_read_options(input_config)).batch(local_batch)
  return Batches(ds, {'next_batch': 0})


class GlobalBatches:
  """Iterates global arrays from `Batches`, `lookahead` batches ahead;
  `state` is that of the last batch returned."""

  def __init__(self, batches: Batches, sharding, lookahead: int = 2):
    self._batches = batches
    self._sharding = sharding
    self._queue = collections.deque()
    self._lookahead = lookahead
    self.state = dict(batches.state)

  def _to_global(self, batch):
    return jax.tree.map(
        lambda x: jax.make_array_from_process_local_data(self._sharding, np.asarray(x)),
        batch)

  def __iter__(self):
    return self

  def close(self):
    self._queue.clear()
    self._batches.close()

  def __next__(self):
    while len(self._queue) < self._lookahead:
      try:
        batch = next(self._batches)
      except StopIteration:
        break
      self._queue.append((self._to_global(batch), dict(self._batches.state)))
    if not self._queue:
      raise StopIteration
    batch, self.state = self._queue.popleft()
    return batch
