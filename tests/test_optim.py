"""make_optimizer against numpy recurrences of its schedule, SGD, AdamW and clipping."""

import math

import jax
import numpy as np
import optax
import pytest

from transfer import config_base, optim
from transfer.errors import UserError


def _config(**overrides):
  """The stage config's `optimizer` section with `overrides`."""
  config = config_base.stage('t', config_base.task('depth'), steps=10).optimizer
  config.update(overrides)
  return config


def _numpy_lr(step, peak, warmup, total, end_factor):
  """Linear warmup 0 -> peak, then cosine peak -> peak * end_factor by `total`."""
  if step < warmup:
    return peak * step / warmup
  t = min(step - warmup, total - warmup) / (total - warmup)
  end = peak * end_factor
  return end + (peak - end) * 0.5 * (1 + math.cos(math.pi * t))


def _params(rng):
  return {'conv': {'kernel': rng.normal(size=(3, 2)), 'bias': rng.normal(size=2)},
          'norm': {'scale': rng.normal(size=2)}}


def _run(config, total_steps, params, grads):
  """Applies make_optimizer's updates for each gradient; returns them (numpy)."""
  tx, _ = optim.make_optimizer(config, total_steps, 'optimizer')
  params = jax.tree.map(lambda x: np.asarray(x, np.float32), params)
  state = tx.init(params)
  updates = []
  for g in grads:
    u, state = tx.update(jax.tree.map(lambda x: np.asarray(x, np.float32), g),
                         state, params)
    params = optax.apply_updates(params, u)
    updates.append(jax.tree.map(np.asarray, u))
  return updates


@pytest.mark.parametrize('warmup_steps,total_steps', [(2, 5), (0, 4), (10, 5)])
def test_schedule_is_warmup_then_cosine_to_end_factor(warmup_steps, total_steps):
  config = _config(learning_rate=0.3, warmup_steps=warmup_steps,
                   end_learning_rate_factor=0.1)
  _, schedule = optim.make_optimizer(config, total_steps, 'optimizer')
  warmup = min(warmup_steps, total_steps - 1)  # warmup leaves >= 1 decay step.
  for step in range(total_steps + 2):
    np.testing.assert_allclose(float(schedule(step)),
                               _numpy_lr(step, 0.3, warmup, total_steps, 0.1),
                               rtol=1e-6, atol=1e-8, err_msg=f'step {step}')


def test_sgd_momentum_and_kernel_only_weight_decay_match_numpy():
  rng = np.random.default_rng(0)
  lr, wd, momentum, warmup, total = 0.5, 0.1, 0.9, 2, 5
  config = _config(name='sgd', learning_rate=lr, warmup_steps=warmup, weight_decay=wd,
                   end_learning_rate_factor=0.2, clip_norm=0.0, momentum=momentum)
  params = _params(rng)
  grads = [_params(rng) for _ in range(4)]  # lr: 0, peak / 2, peak, cosine.
  updates = _run(config, total, params, grads)
  p = {k: v.copy() for k, v in jax.tree_util.tree_flatten_with_path(params)[0]}
  trace = {k: 0.0 for k in p}
  for step, (g, u) in enumerate(zip(grads, updates)):
    lr_t = _numpy_lr(step, lr, warmup, total, 0.2)
    for (path, g_leaf), u_leaf in zip(jax.tree_util.tree_flatten_with_path(g)[0],
                                      jax.tree.leaves(u)):
      decayed = g_leaf + wd * p[path] if p[path].ndim == 2 else g_leaf
      trace[path] = decayed + momentum * trace[path]
      expected = -lr_t * trace[path]
      np.testing.assert_allclose(u_leaf, expected, rtol=1e-5, atol=1e-7,
                                 err_msg=f'step {step} {path}')
      p[path] = p[path] + expected


def test_adamw_decays_kernels_but_not_biases_or_scales():
  rng = np.random.default_rng(1)
  lr, wd, b1, b2, eps = 0.01, 0.5, 0.9, 0.999, 1e-8
  config = _config(name='adamw', learning_rate=lr, warmup_steps=0, weight_decay=wd,
                   end_learning_rate_factor=1.0, clip_norm=0.0)
  params = {**_params(rng), 'head': {'kernel': rng.normal(size=(2, 2)),
                                     'bias': rng.normal(size=2)}}
  grads = []
  for _ in range(3):
    g = _params(rng)
    g['head'] = {'kernel': np.zeros((2, 2)), 'bias': np.zeros(2)}  # Decay alone.
    grads.append(g)
  updates = _run(config, 3, params, grads)
  p = {k: v.copy() for k, v in jax.tree_util.tree_flatten_with_path(params)[0]}
  mu, nu = {k: 0.0 for k in p}, {k: 0.0 for k in p}
  for step, (g, u) in enumerate(zip(grads, updates)):
    for (path, g_leaf), u_leaf in zip(jax.tree_util.tree_flatten_with_path(g)[0],
                                      jax.tree.leaves(u)):
      mu[path] = b1 * mu[path] + (1 - b1) * g_leaf
      nu[path] = b2 * nu[path] + (1 - b2) * g_leaf**2
      adam = (mu[path] / (1 - b1**(step + 1))) / (
          np.sqrt(nu[path] / (1 - b2**(step + 1))) + eps)
      expected = -lr * (adam + (wd * p[path] if p[path].ndim == 2 else 0.0))
      # float32 bias corrections (1 - b2**t) limit the agreement to ~1e-5.
      np.testing.assert_allclose(u_leaf, expected, rtol=1e-4, atol=1e-8,
                                 err_msg=f'step {step} {path}')
      p[path] = p[path] + expected
    # Zero gradient: the kernel shrinks by lr * wd * p, the bias stays put.
    assert np.all(u['head']['bias'] == 0.0)
    assert np.all(u['head']['kernel'] != 0.0)


@pytest.mark.parametrize('clip_norm', [1.0, 0.0, 10.0])
def test_gradient_is_clipped_to_clip_norm_before_the_optimiser(clip_norm):
  rng = np.random.default_rng(2)
  lr = 0.1
  config = _config(name='sgd', learning_rate=lr, warmup_steps=0, weight_decay=0.0,
                   end_learning_rate_factor=1.0, clip_norm=clip_norm, momentum=0.9)
  grad = _params(rng)
  norm = math.sqrt(sum(np.sum(g**2) for g in jax.tree.leaves(grad)))
  grad = jax.tree.map(lambda g: g * 5.0 / norm, grad)  # Global norm 5.
  (update,) = _run(config, 4, _params(rng), [grad])
  scale = clip_norm / 5.0 if 0 < clip_norm < 5.0 else 1.0
  for u, g in zip(jax.tree.leaves(update), jax.tree.leaves(grad)):
    np.testing.assert_allclose(u, -lr * scale * g, rtol=1e-5, atol=1e-8)
  update_norm = math.sqrt(sum(np.sum(u**2) for u in jax.tree.leaves(update)))
  np.testing.assert_allclose(update_norm, lr * scale * 5.0, rtol=1e-5)


def test_unknown_optimizer_raises_user_error():
  with pytest.raises(UserError, match="'lamb'") as error:
    optim.make_optimizer(_config(name='lamb'), 10, 'source.optimizer.name')
  assert error.value.where == 'source.optimizer.name'
