"""Monocular depth: the head predicts log-depth; loss over valid pixels only.

Metrics pool all valid pixels of the evaluation set (not per-image means), as
in Eigen et al. 2014: AbsRel, SqRel, RMSE and RMSE-log, mean |log10| error,
and delta < 1.25^k for k = 1, 2, 3.
"""

import jax.numpy as jnp
import numpy as np

from transfer import visualize
from transfer.errors import UserError
from transfer.tasks import base

_EPS = 1e-3
_LOSSES = ('l1_log', 'silog')


class Task(base.Task):
  annotation = 'depth'
  metric = 'abs_rel'
  higher_is_better = False

  def __init__(self, config, dataset):
    super().__init__(config, dataset)
    if config.loss not in _LOSSES:
      raise UserError(f'Unknown depth loss {config.loss!r}.', where='task.loss',
                      fix=f'use one of {_LOSSES}.')

  def head(self):
    return base.ConvHead(1, self.config.head_features)

  def _depth_and_mask(self, batch):
    depth = batch['depth'][..., 0]
    valid = (depth > 0) & base.example_mask(batch, depth.shape)
    return jnp.where(valid, depth, 1.0), valid

  def loss(self, outputs, batch):
    depth, valid = self._depth_and_mask(batch)
    log_pred = base.resize_to(outputs, batch['depth'])[..., 0]
    diff = (log_pred - jnp.log(depth)) * valid
    count = jnp.maximum(valid.sum(), 1)
    kind = self.config.loss
    if kind == 'l1_log':
      loss = jnp.abs(diff).sum() / count
    else:  # 'silog': Eigen et al. 2014, scale-invariant log loss.
      mean = diff.sum() / count
      loss = jnp.sqrt(jnp.maximum((diff**2).sum() / count - 0.85 * mean**2, _EPS))
    return loss, {}

  def predict(self, outputs, batch):
    log_pred = base.resize_to(outputs, batch['depth'])[..., 0]
    return {'depth': jnp.exp(log_pred)}

  def eval_stats(self, predictions, batch):
    depth, valid = self._depth_and_mask(batch)
    pred = jnp.maximum(predictions['depth'], _EPS)
    ratio = jnp.maximum(pred / depth, depth / pred)
    log_error = jnp.log(pred) - jnp.log(depth)
    total = lambda x: jnp.sum(jnp.where(valid, x, 0.0))
    return {'count': valid.sum().astype(jnp.float32),
            'abs_rel': total(jnp.abs(pred - depth) / depth),
            'sq_rel': total((pred - depth)**2 / depth),
            'squared_error': total((pred - depth)**2),
            'squared_log_error': total(log_error**2),
            'log10': total(jnp.abs(log_error) / np.log(10)),
            **{f'delta{k}': total((ratio < 1.25**k).astype(jnp.float32))
               for k in (1, 2, 3)}}

  def metrics(self, stats):
    mean = {k: float(v) / max(float(stats['count']), 1.0) for k, v in stats.items()}
    return {'abs_rel': mean['abs_rel'], 'sq_rel': mean['sq_rel'],
            'rmse': float(np.sqrt(mean['squared_error'])),
            'rmse_log': float(np.sqrt(mean['squared_log_error'])),
            'log10': mean['log10'],
            **{f'delta{k}': mean[f'delta{k}'] for k in (1, 2, 3)}}

  def visualize(self, image, predictions, batch):
    gt = batch['depth'][..., 0]
    valid = gt[gt > 0]
    limits = (valid.min(), valid.max()) if valid.size else (None, None)
    return visualize.side_by_side(
        [image, visualize.colorize_depth(predictions['depth'], *limits),
         visualize.colorize_depth(gt, *limits)],
        titles=['image', 'prediction', 'ground truth'])
