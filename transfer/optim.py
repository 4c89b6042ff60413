"""optax optimiser and learning-rate schedule from a stage config."""

import jax
import optax

from transfer.errors import UserError


def make_optimizer(config, total_steps: int, where: str):
  """`config`: name (adamw|sgd), learning_rate, warmup_steps, weight_decay,
  end_learning_rate_factor, clip_norm (0 = off), momentum (sgd)."""
  schedule = optax.warmup_cosine_decay_schedule(
      init_value=0.0, peak_value=config.learning_rate,
      warmup_steps=min(config.warmup_steps, max(total_steps - 1, 0)),
      decay_steps=max(total_steps, 1),
      end_value=config.learning_rate * config.end_learning_rate_factor)
  # Weight decay on kernels only, not on biases or normalisation scales.
  decay_mask = lambda params: jax.tree.map(lambda p: p.ndim > 1, params)
  if config.name == 'adamw':
    tx = optax.adamw(schedule, weight_decay=config.weight_decay, mask=decay_mask)
  elif config.name == 'sgd':
    tx = optax.chain(optax.add_decayed_weights(config.weight_decay, decay_mask),
                     optax.sgd(schedule, momentum=config.momentum))
  else:
    raise UserError(f'Unknown optimizer {config.name!r}.', where=where,
                    fix="use 'adamw' or 'sgd'.")
  if config.clip_norm:
    tx = optax.chain(optax.clip_by_global_norm(config.clip_norm), tx)
  return tx, schedule
