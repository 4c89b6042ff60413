"""What a source model sees of a target's training images, for transferability metrics.

The recipe of the dense-task literature (stable_transfer's segmentation
setting, Agostinelli et al. 2022): the source stage's backbone features of
the target's training images (resized to the target's input size) on the
backbone's 1/4-resolution grid; the target's labels moved to that grid by
nearest neighbour; ignored pixels dropped; `pixels_per_image` grid cells
sampled per image without replacement with seed `seed + image index`,
class-balanced by option (weights 1 / class count over all the images).

Labels by target task:
  segmentation  class ids (ignore label dropped);
  depth         log metres (a regression target; invalid depth dropped);
  detection, keypoints
                the class of the object whose box holds the cell (later
                objects over earlier ones), else a background class
                `num_object_classes`: a dense stand-in for an object task,
                our choice (the literature's recipe is for segmentation).

Where the source stage is a segmentation model, its head's class
probabilities at the same cells are kept too (LEEP's input).
"""

import dataclasses

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from transfer import checkpoints
from transfer import stages
from transfer import trainer
from transfer.data import augment, catalog, pipeline
from transfer.errors import UserError

OBJECT_TASKS = ('detection', 'keypoints')


@dataclasses.dataclass(frozen=True)
class Target:
  """The training images a target stage fine-tunes on."""
  dataset: str
  task: str
  train_examples: int | None    # None: the whole train split
  train_subset_seed: int = 0
  size: tuple[int, int] | None = None  # None: the dataset's crop (as a stage)

  def input_size(self, info: catalog.DatasetInfo) -> tuple[int, int]:
    return self.size or pipeline.input_size(ml_collections.ConfigDict({'size': None}), info)

  @classmethod
  def of_stage(cls, manifest: dict) -> 'Target':
    config = manifest['config']
    return cls(config['dataset'], config['task']['name'], config.get('train_examples'),
               config.get('train_subset_seed', 0),
               tuple(config['input']['size']) if config['input'].get('size') else None)


@dataclasses.dataclass
class Sample:
  features: np.ndarray            # [M, C] float32
  labels: np.ndarray              # [M] int32 class ids, or float32 log depth
  regression: bool
  source_probs: np.ndarray | None  # [M, Z] of a segmentation source, else None
  positions: np.ndarray           # [M, 3] (image index in the subset, grid row, column)


def finished_manifest(stage_dir: str, where: str) -> dict:
  manifest = stages.read_manifest(stage_dir)
  if not stages.is_finished(manifest):
    state = 'no manifest' if manifest is None else f"state {manifest.get('state')!r}"
    raise UserError(f'{stage_dir} is not a finished stage ({state}).', where=where,
                    fix='name the directory of a finished stage (ROOT/stages/<name>-<key>), '
                    'or run the study first.')
  return manifest


def load_source(stage_dir: str, where: str):
  """(Stage, variables) of a finished stage: its model and its last weights."""
  manifest = finished_manifest(stage_dir, where)
  config = ml_collections.ConfigDict(manifest['config'])
  stage = trainer.build_stage(config, where)
  shapes = jax.eval_shape(lambda: stage.model.init(
      jax.random.key(0), jnp.zeros((1, 64, 64, 3), jnp.uint8), train=False))
  device = jax.sharding.SingleDeviceSharding(jax.devices()[0])
  abstract = jax.tree.map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=device),
                          {k: shapes[k] for k in checkpoints.TRANSFERABLE if k in shapes})
  mngr = checkpoints.manager(f'{stage_dir}/checkpoints', read_only=True)
  step = mngr.latest_step()
  if step is None:
    raise UserError(f'{stage_dir} has no checkpoint.', where=where,
                    fix='run the stage again (its checkpoints were removed).')
  return stage, checkpoints.restore(mngr, step, abstract, partial=True)


def grid_labels(example: dict, task: str, dataset: catalog.DatasetInfo, grid) -> np.ndarray:
  """The target labels of one resized example on the feature grid (h, w):
  int class ids (-1 = dropped) or float log depth (NaN = dropped). Dense
  maps move to the grid by the pipeline's nearest-neighbour resize."""
  if task in ('segmentation', 'depth'):
    dense = augment.resize({task: example[task]}, grid, dataset)[task][..., 0]
    if task == 'segmentation':
      labels = dense.astype(np.int64)
      return np.where((labels >= 0) & (labels < dataset.num_classes), labels, -1)
    depth = dense.astype(np.float64)
    return np.where(depth > 0, np.log(np.maximum(depth, 1e-12)), np.nan)
  if task in OBJECT_TASKS:
    num = len(dataset.object_classes)
    labels = np.full(grid, num, np.int64)
    centres_y, centres_x = (np.arange(grid[0]) + 0.5) / grid[0], (np.arange(grid[1]) + 0.5) / grid[1]
    keep = example['objects_valid'] & ~example['is_crowd'] & (example['labels'] >= 0) & (
        example['labels'] < num)
    for (y0, x0, y1, x1), label in zip(example['boxes'][keep], example['labels'][keep]):
      inside = ((centres_y >= y0) & (centres_y < y1))[:, None] & (
          (centres_x >= x0) & (centres_x < x1))[None, :]
      labels[inside] = label
    return labels
  raise UserError(f'No dense labels for target task {task!r}.', where='target task',
                  fix=f'use a segmentation, depth or {"/".join(OBJECT_TASKS)} target.')


def _fields(task: str) -> tuple[str, ...]:
  return {'segmentation': ('segmentation',), 'depth': ('depth',)}.get(task, ('boxes',))


def sample_cells(labels: np.ndarray, regression: bool, count: int, weights, rng) -> np.ndarray:
  """Flat indices of up to `count` kept cells, drawn without replacement."""
  flat = labels.ravel()
  kept = np.flatnonzero(np.isfinite(flat) if regression else flat >= 0)
  if len(kept) <= count:
    return kept
  p = None
  if weights is not None:
    p = weights[flat[kept].astype(int)]
    p = p / p.sum()
  return np.sort(rng.choice(kept, count, replace=False, p=p))


def sample(stage_dir: str, target: Target, data_dir: str | None, *,
           pixels_per_image: int = 1000, class_balanced: bool = True, seed: int = 0,
           batch_size: int = 8, where: str = '--sources') -> Sample:
  """The source stage's features (and probabilities) at sampled cells of the
  target's training images, with their labels."""
  stage, variables = load_source(stage_dir, where)
  info = catalog.get(target.dataset, where='--target')
  builder = pipeline.load_builder(info, data_dir, (info.train_split,), where='--target')
  reader = pipeline.Reader(builder, info.train_split, _fields(target.task), max_objects=100)
  indices = pipeline.subset_indices(len(reader), target.train_examples, target.train_subset_seed)
  size = target.input_size(info)
  examples = [augment.resize(reader[i], size, info) for i in indices]

  leep_ready = stage.task.annotation == 'segmentation'

  @jax.jit
  def apply(variables, images):
    """Features and, for a segmentation source, its class probabilities."""
    feats, outputs = stage.model.apply(variables, images, method='features_and_outputs')
    return feats, jax.nn.softmax(outputs.astype(jnp.float32), -1) if leep_ready else None

  grid = jax.eval_shape(apply, variables, jnp.zeros((1, *size, 3), jnp.uint8))[0].shape[1:3]
  labels = [grid_labels(ex, target.task, info, grid) for ex in examples]
  regression = target.task == 'depth'
  weights = None
  if class_balanced and not regression:
    counts = np.bincount(np.concatenate([l[l >= 0] for l in labels]).astype(int))
    weights = 1.0 / np.maximum(counts, 1)

  features, kept_labels, probs, positions = [], [], [], []
  for start in range(0, len(examples), batch_size):
    chunk = examples[start:start + batch_size]
    images = np.stack([ex['image'] for ex in chunk])
    feats, outputs = apply(variables, images)
    feats = np.asarray(feats, np.float32)
    if leep_ready:
      outputs = np.asarray(outputs, np.float64)
    for j, ex_labels in enumerate(labels[start:start + batch_size]):
      index = start + j
      cells = sample_cells(ex_labels, regression, pixels_per_image, weights,
                     np.random.default_rng(seed + index))
      features.append(feats[j].reshape(-1, feats.shape[-1])[cells])
      kept_labels.append(ex_labels.ravel()[cells])
      positions.append(np.stack([np.full(len(cells), index), *np.unravel_index(cells, grid)], 1))
      if leep_ready:
        probs.append(outputs[j].reshape(-1, outputs.shape[-1])[cells])
  return Sample(np.concatenate(features), np.concatenate(kept_labels).astype(
      np.float32 if regression else np.int32), regression,
                np.concatenate(probs) if leep_ready else None, np.concatenate(positions))
