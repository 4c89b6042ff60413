"""Monocular depth: the head predicts log-depth; loss over valid pixels only.

Metrics pool all valid pixels of the evaluation set (not per-image means):
AbsRel, RMSE (metres) and delta < 1.25.
"""

import jax.numpy as jnp
import numpy as np

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
    if config.get('loss', 'l1_log') not in _LOSSES:
      raise UserError(f'Unknown depth loss {config.loss!r}.', where='task.loss',
                      fix=f'use one of {_LOSSES}.')

  def head(self):
    return base.ConvHead(1, self.config.get('head_features', 64))

  def _depth_and_mask(self, batch):
    depth = batch['depth'][..., 0]
    valid = (depth > 0) & base.example_mask(batch, depth.shape)
    return jnp.where(valid, depth, 1.0), valid

  def loss(self, outputs, batch):
    depth, valid = self._depth_and_mask(batch)
    log_pred = base.resize_to(outputs, batch['depth'])[..., 0]
    diff = (log_pred - jnp.log(depth)) * valid
    count = jnp.maximum(valid.sum(), 1)
    kind = self.config.get('loss', 'l1_log')
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
    total = lambda x: jnp.sum(jnp.where(valid, x, 0.0))
    return {'count': valid.sum().astype(jnp.float32),
            'abs_rel': total(jnp.abs(pred - depth) / depth),
            'squared_error': total((pred - depth)**2),
            'delta1': total((ratio < 1.25).astype(jnp.float32))}

  def metrics(self, stats):
    count = max(float(stats['count']), 1.0)
    return {'abs_rel': float(stats['abs_rel']) / count,
            'rmse': float(np.sqrt(float(stats['squared_error']) / count)),
            'delta1': float(stats['delta1']) / count}
