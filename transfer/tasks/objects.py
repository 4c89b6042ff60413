"""Pieces shared by the object tasks (detection, keypoints).

Objects are points (Zhou et al. 2019, "Objects as Points"): on the backbone's
1/4-resolution grid, a per-class heatmap peaks at the cell holding each
object's box centre, and other outputs are read at that cell. A point at
normalised (y, x) has grid coordinates (y * h, x * w); cell (i, j) spans
[i, i + 1) x [j, j + 1). Everything has static shapes: objects come padded
with `objects_valid`, and decoding keeps a fixed number of peaks.

`CocoBatchEvaluator` feeds the valid examples of each evaluation batch, in
pixels of the original image, to `transfer.metrics.coco.CocoEvaluator`
(pycocotools' COCOeval) and, for keypoint sets, to PCK or MPII's PCKh.
"""

import jax
import jax.numpy as jnp
import numpy as np

from transfer.metrics import coco, pck
from transfer.tasks import base

# Initial heatmap logit: sigmoid(-2.19) = 0.1, CenterNet's prior.
HEATMAP_BIAS = -2.19
# Gaussian sigma per unit of object size (TTFNet: alpha = 0.54 over 6 sigmas).
SIGMA_PER_SIZE = 0.54 / 6
MIN_SIGMA = 0.5  # grid cells


def grid_hw(outputs) -> tuple[int, int]:
  return tuple(next(iter(outputs.values())).shape[1:3])


def known_objects(labels, valid, num_classes):
  """Valid objects whose label is one of the task's classes."""
  return valid & (labels >= 0) & (labels < num_classes)


def object_targets(batch, grid, num_classes):
  """Centre cells, sub-cell offsets, sizes and sigmas of the batch's objects.

  Objects used for training: valid, of a known class, not crowd regions,
  non-empty boxes, in valid examples.
  """
  h, w = grid
  boxes = batch['boxes'] * jnp.array([h, w, h, w], jnp.float32)
  centre = (boxes[..., :2] + boxes[..., 2:]) / 2
  size = boxes[..., 2:] - boxes[..., :2]
  valid = (known_objects(batch['labels'], batch['objects_valid'], num_classes)
           & ~batch['is_crowd'] & (size > 0).all(-1)
           & base.example_mask(batch, batch['objects_valid'].shape))
  cell = jnp.clip(jnp.floor(centre), 0, jnp.array([h - 1, w - 1])).astype(jnp.int32)
  return {'valid': valid, 'cell': cell, 'offset': centre - cell,
          'size': jnp.maximum(size, 1e-2),
          'sigma': jnp.maximum(size * SIGMA_PER_SIZE, MIN_SIGMA)}


def centre_losses(outputs, batch, targets, num_classes, grid):
  """Focal loss of the centre heatmap and L1 of the centres' sub-cell offsets."""
  heatmap = class_heatmap(targets, batch['labels'], num_classes, grid)
  return (focal_loss(outputs['heatmap'], heatmap, base.example_mask(batch, heatmap.shape)),
          masked_l1(gather(outputs['offset'], targets['cell']), targets['offset'],
                    targets['valid']))


def gaussians(cells, sigmas, grid):
  """exp(-d^2 / 2 sigma^2) around integer `cells` [..., 2]: [..., h, w], 1 at the cell."""
  dy = jnp.arange(grid[0]) - cells[..., :1]
  dx = jnp.arange(grid[1]) - cells[..., 1:]
  gy = jnp.exp(-dy**2 / (2 * sigmas[..., :1]**2))
  gx = jnp.exp(-dx**2 / (2 * sigmas[..., 1:]**2))
  return gy[..., :, None] * gx[..., None, :]


def class_heatmap(targets, labels, num_classes, grid):
  """Per-class maximum of the objects' Gaussians: [B, h, w, num_classes]."""
  g = gaussians(targets['cell'], targets['sigma'], grid) * targets['valid'][..., None, None]
  batch_index = jnp.broadcast_to(jnp.arange(g.shape[0])[:, None], labels.shape)
  # Objects of unknown classes are not valid targets: any channel will do.
  heat = jnp.zeros((g.shape[0], num_classes, *grid)).at[
      batch_index, jnp.clip(labels, 0, num_classes - 1)].max(g)
  return heat.transpose(0, 2, 3, 1)


def focal_loss(logits, target, valid):
  """CenterNet's penalty-reduced focal loss over the entries where `valid`
  (broadcast to `logits`), normalised by the number of valid peaks."""
  positive = (target == 1.0) & valid
  p = jax.nn.sigmoid(logits)
  loss = jnp.where(positive, (1 - p)**2 * -jax.nn.log_sigmoid(logits),
                   (1 - target)**4 * p**2 * -jax.nn.log_sigmoid(-logits))
  return jnp.sum(loss * valid) / jnp.maximum(positive.sum(), 1)


def masked_l1(pred, target, mask):
  """Mean |pred - target| over the entries of `mask` ([...], broadcast to pred)."""
  mask = jnp.broadcast_to(mask[..., None], pred.shape)
  return jnp.sum(jnp.abs(pred - target) * mask) / jnp.maximum(mask.sum(), 1)


def gather(feature, cells):
  """feature [B, h, w, D] at integer cells [B, ..., 2] -> [B, ..., D]."""
  b, _, w, d = feature.shape
  index = (cells[..., 0] * w + cells[..., 1]).reshape(b, -1, 1)
  out = jnp.take_along_axis(feature.reshape(b, -1, d), index, axis=1)
  return out.reshape(*cells.shape[:-1], d)


def local_maxima(heat):
  """heat [B, h, w, C] where it is its 3x3 neighbourhood's maximum, else 0."""
  pooled = jax.lax.reduce_window(heat, -jnp.inf, jax.lax.max, (1, 3, 3, 1),
                                 (1, 1, 1, 1), 'SAME')
  return jnp.where(heat == pooled, heat, 0.0)


def top_peaks(heat, k):
  """The k highest 3x3 local maxima of heat [B, h, w, C] over all channels.

  Returns scores [B, k], cells [B, k, 2] and channels [B, k].
  """
  heat = local_maxima(heat)
  _, _, w, c = heat.shape
  scores, index = jax.lax.top_k(heat.reshape(heat.shape[0], -1), k)
  cells = jnp.stack([index // (w * c), (index // c) % w], axis=-1)
  return scores, cells, index % c


class Task(base.Task):
  """An object task: classes are the dataset's object classes."""
  higher_is_better = True

  @property
  def num_classes(self) -> int:
    return len(self.dataset.object_classes)

  def known(self, batch):
    """Which objects of a (host) batch are valid and of a known class."""
    return known_objects(batch['labels'], batch['objects_valid'], self.num_classes)


GT_KEYS = ('boxes', 'labels', 'is_crowd', 'areas', 'objects_valid', 'image_hw')


def eval_stats(predictions, batch, keys=GT_KEYS):
  """Predictions (prefixed 'pred_') and ground truth for CocoBatchEvaluator."""
  stats = {f'pred_{k}': v for k, v in predictions.items()}
  stats.update({k: batch[k] for k in keys})
  stats['_valid'] = base.example_mask(batch, batch['objects_valid'].shape[:1])
  return stats


class CocoBatchEvaluator:
  """COCO AP over valid examples, with PCK for single-instance keypoint sets
  and PCKh@0.5 over `pckh_keypoints` for sets with head boxes (MPII)."""

  def __init__(self, iou_type, num_classes, oks_sigmas=None,
               single_instance=False, pckh_keypoints=()):
    self._num_classes = num_classes
    self._coco = coco.CocoEvaluator(iou_type, num_classes, oks_sigmas)
    self._keypoints = iou_type == 'keypoints'
    self._pck = [0, 0] if single_instance else None
    self._pckh_keypoints = list(pckh_keypoints)
    self._pckh = [0.0, 0.0]

  def update(self, stats):
    for i in np.flatnonzero(stats['_valid']):
      h, w = stats['image_hw'][i].astype(np.float64)
      to_pixels = np.array([h, w, h, w])
      gt = known_objects(stats['labels'][i], stats['objects_valid'][i], self._num_classes)
      kwargs = dict(
          gt_boxes=stats['boxes'][i][gt] * to_pixels, gt_labels=stats['labels'][i][gt],
          gt_is_crowd=stats['is_crowd'][i][gt], gt_areas=stats['areas'][i][gt],
          det_boxes=stats['pred_boxes'][i] * to_pixels,
          det_labels=stats['pred_labels'][i], det_scores=stats['pred_scores'][i])
      if self._keypoints:
        kwargs['gt_keypoints'] = stats['keypoints'][i][gt] * np.array([h, w, 1])
        kwargs['det_keypoints'] = stats['pred_keypoints'][i] * np.array([h, w, 1])
      self._coco.add_image(**kwargs)
      if self._pck is not None:
        self._add_pck(kwargs)
      if self._pckh_keypoints:
        self._add_pckh(kwargs, stats['reference_sizes'][i][gt])

  def _add_pck(self, image):
    """The top-scoring instance against the first non-crowd ground truth."""
    first = np.flatnonzero(~image['gt_is_crowd'])[:1]
    if first.size:
      correct, labelled = pck.pck(image['gt_keypoints'][first],
                                  image['det_keypoints'][:1],
                                  image['gt_boxes'][first])
      self._pck[0] += correct
      self._pck[1] += labelled

  def _add_pckh(self, image, head_diagonals):
    """People with a head box, each paired with one predicted instance."""
    people = np.flatnonzero(~image['gt_is_crowd'])
    gt = image['gt_keypoints'][people]
    heads = head_diagonals[people]
    paired = pck.paired_predictions(gt, image['det_keypoints'], image['det_scores'], heads)
    # A person left without a prediction counts its joints, none correct.
    predicted = np.full((*gt.shape[:2], 2), np.inf)
    predicted[paired >= 0] = image['det_keypoints'][paired[paired >= 0]][..., :2]
    scored = heads > 0
    correct, labelled = pck.pckh(gt[scored], predicted[scored], heads[scored])
    self._pckh[0] += correct[self._pckh_keypoints].sum()
    self._pckh[1] += labelled[self._pckh_keypoints].sum()

  def result(self):
    metrics = self._coco.result()
    if self._pck is not None:
      metrics['pck'] = pck.pck_from_counts(*self._pck)
    if self._pckh_keypoints:
      metrics['pckh'] = pck.pck_from_counts(*self._pckh)
    return metrics
