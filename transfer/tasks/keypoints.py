"""Multi-instance keypoints, bottom-up refined (CenterNet's pose head).

Outputs on the 1/4-resolution grid: a class heatmap of object centres and the
centres' sub-cell offsets (as in detection), K keypoint offsets regressed from
the centre cell, K keypoint heatmaps and a shared sub-cell offset for them.
Decoding takes the `max_instances` best centres, reads their regressed
keypoints, and snaps each one to the nearest peak of its keypoint heatmap
(score above `peak_threshold`) within half the instance's extent; a snapped
keypoint's score is its peak's, a regressed one scores 0. Single-instance
sets (a dog's 20 points) use the same head with the top instance.

Metrics: COCO OKS AP with the dataset's sigmas (pycocotools' COCOeval),
PCK@0.1 of the top instance for single-instance sets, and PCKh@0.5 for sets
with head boxes (MPII; the headline metric there). The keypoint Gaussians
are [B, N, K, h, w] before the max over objects, which is fine for tens of
objects at 128-256 px; COCO-sized crops would want a windowed version.
"""

import jax
import jax.numpy as jnp
import numpy as np

from transfer import visualize
from transfer.tasks import base, objects


def keypoint_targets(batch, grid, object_targets):
  """The keypoint heatmap [B, h, w, K] and the keypoints' cells, points and labels.

  `object_targets` comes from `objects.object_targets`. Per keypoint [B, N, K]:
  its cell, its point in grid units, and whether it is labelled (visibility 1
  or 2 of a training object). A keypoint's Gaussian has half its object's
  sigma, at least MIN_SIGMA.
  """
  points = batch['keypoints'][..., :2] * jnp.array(grid, jnp.float32)
  labelled = (batch['keypoints'][..., 2] > 0) & object_targets['valid'][..., None]
  cells = jnp.clip(jnp.floor(points), 0, jnp.array(grid) - 1).astype(jnp.int32)
  sigma = jnp.broadcast_to(object_targets['sigma'][..., None, :] / 2, points.shape)
  peaks = objects.gaussians(cells, jnp.maximum(sigma, objects.MIN_SIGMA), grid)
  heatmap = (peaks * labelled[..., None, None]).max(axis=1).transpose(0, 2, 3, 1)
  return {'heatmap': heatmap, 'cells': cells, 'points': points, 'labelled': labelled}


class Task(objects.Task):
  annotation = 'keypoints'

  def __init__(self, config, dataset):
    super().__init__(config, dataset)
    self.metric = ('pckh' if dataset.pckh_keypoints else
                   'pck' if dataset.single_instance else 'ap')

  @property
  def num_keypoints(self) -> int:
    return self.dataset.num_keypoints

  def head(self):
    k = self.num_keypoints
    return base.ConvHeads(
        {'heatmap': (self.num_classes, objects.HEATMAP_BIAS), 'offset': (2, 0.0),
         'keypoint_offsets': (2 * k, 0.0),
         'keypoint_heatmap': (k, objects.HEATMAP_BIAS), 'keypoint_subpixel': (2, 0.0)},
        self.config.head_features)

  def loss(self, outputs, batch):
    grid = objects.grid_hw(outputs)
    targets = objects.object_targets(batch, grid, self.num_classes)
    centre_loss, offset_loss = objects.centre_losses(outputs, batch, targets,
                                                     self.num_classes, grid)
    point_targets = keypoint_targets(batch, grid, targets)
    points, cells, labelled = (point_targets[k] for k in ('points', 'cells', 'labelled'))
    regressed = objects.gather(outputs['keypoint_offsets'], targets['cell'])
    regression_loss = objects.masked_l1(
        regressed.reshape(points.shape), points - targets['cell'][..., None, :], labelled)
    heatmap = point_targets['heatmap']
    keypoint_heatmap_loss = objects.focal_loss(
        outputs['keypoint_heatmap'], heatmap, base.example_mask(batch, heatmap.shape))
    subpixel_loss = objects.masked_l1(
        objects.gather(outputs['keypoint_subpixel'], cells), points - cells, labelled)
    loss = (centre_loss + offset_loss + keypoint_heatmap_loss + subpixel_loss
            + self.config.regression_weight * regression_loss)
    return loss, {'centre_loss': centre_loss, 'offset_loss': offset_loss,
                  'regression_loss': regression_loss,
                  'keypoint_heatmap_loss': keypoint_heatmap_loss,
                  'subpixel_loss': subpixel_loss}

  def _keypoint_peaks(self, outputs, count):
    """Per keypoint type, the `count` best heatmap peaks: scores [B, K, M], points [B, K, M, 2]."""
    heat = objects.local_maxima(jax.nn.sigmoid(outputs['keypoint_heatmap']))
    b, h, w, k = heat.shape
    heat = heat.transpose(0, 3, 1, 2)
    scores, index = jax.lax.top_k(heat.reshape(b, k, h * w), count)
    cells = jnp.stack([index // w, index % w], axis=-1)
    subpixel = objects.gather(outputs['keypoint_subpixel'], cells)
    return scores, cells + subpixel

  def predict(self, outputs, batch):
    grid = objects.grid_hw(outputs)
    count = self.config.max_instances
    scores, cells, labels = objects.top_peaks(jax.nn.sigmoid(outputs['heatmap']), count)
    regressed = objects.gather(outputs['keypoint_offsets'], cells)
    regressed = regressed.reshape(*cells.shape[:2], self.num_keypoints, 2)
    regressed = regressed + cells[:, :, None, :]                          # [B, I, K, 2]
    peak_scores, peaks = self._keypoint_peaks(outputs, count)             # [B, K, M(, 2)]
    distance = jnp.linalg.norm(regressed[:, :, :, None] - peaks[:, None], axis=-1)
    strong = peak_scores[:, None] > self.config.peak_threshold
    distance = jnp.where(strong, distance, jnp.inf)                       # [B, I, K, M]
    extent = (regressed.max(2) - regressed.min(2)).max(-1)                # [B, I]
    snap = distance.min(-1) <= jnp.maximum(extent / 2, 1.0)[..., None]     # [B, I, K]
    nearest = distance.argmin(-1)[..., None]
    snapped = jnp.take_along_axis(
        jnp.broadcast_to(peaks[:, None], (*distance.shape, 2)), nearest[..., None], 3)
    snapped_scores = jnp.take_along_axis(
        jnp.broadcast_to(peak_scores[:, None], distance.shape), nearest, 3)
    points = jnp.where(snap[..., None], snapped[..., 0, :], regressed)
    point_scores = jnp.where(snap, snapped_scores[..., 0], 0.0)
    points = points / jnp.array(grid, jnp.float32)
    keypoints = jnp.concatenate([points, point_scores[..., None]], -1)
    boxes = jnp.concatenate([points.min(2), points.max(2)], -1)
    return {'keypoints': keypoints, 'boxes': jnp.clip(boxes, 0.0, 1.0),
            'scores': scores, 'labels': labels}

  def eval_stats(self, predictions, batch):
    return objects.eval_stats(predictions, batch,
                              objects.GT_KEYS + ('keypoints', 'reference_sizes'))

  def evaluator(self):
    return objects.CocoBatchEvaluator(
        'keypoints', self.num_classes, self.dataset.oks_sigmas,
        single_instance=self.dataset.single_instance,
        pckh_keypoints=self.dataset.pckh_keypoints)

  def visualize(self, image, predictions, batch):
    to_pixels = np.array([*image.shape[:2], 1.0])
    shown = predictions['scores'] >= self.config.visualize_threshold
    skeleton = self.dataset.keypoint_skeleton
    # Pixel centres sit at (index + 0.5) in normalised-times-size units.
    pixels = lambda k: k * to_pixels - np.array([0.5, 0.5, 0.0])
    valid = self.known(batch)
    return visualize.side_by_side(
        [visualize.draw_keypoints(image, pixels(predictions['keypoints'][shown]),
                                  skeleton, threshold=-1.0),
         visualize.draw_keypoints(image, pixels(batch['keypoints'][valid]),
                                  skeleton)],
        titles=['prediction', 'ground truth'])
