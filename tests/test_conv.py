"""matmul_conv against lax.conv_general_dilated: values and both gradients."""

import jax
from jax import lax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from transfer import config_base, trainer
from transfer.errors import UserError
from transfer.models import conv, resnet

NHWC = ('NHWC', 'HWIO', 'NHWC')


def _pair(kernel, stride, padding, dtype, channels=(5, 7), size=(9, 11)):
  rng = np.random.default_rng(kernel * 10 + stride)
  x = jnp.asarray(rng.normal(size=(2, *size, channels[0])), dtype)
  w = jnp.asarray(rng.normal(size=(kernel, kernel, *channels)) / kernel, dtype)
  dy_shape = jax.eval_shape(
      lambda x, w: lax.conv_general_dilated(x, w, (stride, stride), padding,
                                            dimension_numbers=NHWC), x, w).shape
  dy = jnp.asarray(rng.normal(size=dy_shape), dtype)

  @jax.jit
  def value_and_grads(x, w, dy):
    results = []
    for fn in (conv.matmul_conv, lax.conv_general_dilated):
      y, vjp = jax.vjp(lambda x, w, fn=fn: fn(x, w, (stride, stride), padding,
                                              dimension_numbers=NHWC), x, w)
      results.append((y, *vjp(dy)))
    return results
  return value_and_grads(x, w, dy)


ONE_BY_ONE = [(1, 1, ((0, 0), (0, 0))), (1, 2, ((0, 0), (0, 0))), (1, 2, ((1, 0), (0, 1))),
              (1, 3, 'SAME')]
CASES = ONE_BY_ONE + [(3, 2, ((1, 1), (1, 1))), (3, 1, 'SAME')]  # The last two: lax.


@pytest.mark.parametrize('kernel,stride,padding', CASES)
def test_float32_values_and_gradients_match_lax(kernel, stride, padding):
  ours, plain = _pair(kernel, stride, padding, jnp.float32)
  for name, a, b in zip(('y', 'dx', 'dw'), ours, plain):
    assert a.shape == b.shape and a.dtype == b.dtype, name
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4, err_msg=name)


@pytest.mark.parametrize('kernel,stride,padding', ONE_BY_ONE[:3])
def test_bfloat16_accumulates_in_float32(kernel, stride, padding):
  ours, plain = _pair(kernel, stride, padding, jnp.bfloat16, channels=(64, 8))
  exact, _ = _pair(kernel, stride, padding, jnp.float32, channels=(64, 8))
  for name, a, b, e in zip(('y', 'dx', 'dw'), ours, plain, exact):
    assert a.dtype == jnp.bfloat16, name
    ours_error = np.abs(np.asarray(a, np.float32) - e).max()
    plain_error = np.abs(np.asarray(b, np.float32) - e).max()
    # bfloat16 rounding of the output only (2^-8 relative), not of every partial sum.
    assert ours_error <= 2**-7 * np.abs(e).max(), name
    assert ours_error <= max(plain_error, 1e-6) * 1.5, name


def test_other_layouts_and_dilations_fall_back_to_lax():
  x = jnp.ones((1, 3, 8, 8))
  w = jnp.ones((4, 3, 1, 1))
  nchw = conv.matmul_conv(x, w, (2, 2), 'VALID', dimension_numbers=('NCHW', 'OIHW', 'NCHW'))
  np.testing.assert_array_equal(nchw, lax.conv_general_dilated(
      x, w, (2, 2), 'VALID', dimension_numbers=('NCHW', 'OIHW', 'NCHW')))
  x, w = jnp.ones((1, 8, 8, 3)), jnp.ones((3, 3, 3, 4))
  dilated = conv.matmul_conv(x, w, (2, 2), 'SAME', rhs_dilation=(2, 2), dimension_numbers=NHWC)
  np.testing.assert_array_equal(dilated, lax.conv_general_dilated(
      x, w, (2, 2), 'SAME', rhs_dilation=(2, 2), dimension_numbers=NHWC))


def test_resnet_outputs_and_gradients_match_between_implementations():
  """ResNet-18 has 1x1 convolutions at stride 2 (shortcuts) and 1 (FPN laterals).

  In float64, so that batch norm's amplification of rounding does not hide a
  difference.
  """
  x = np.random.default_rng(0).normal(size=(2, 64, 64, 3))
  results = []
  with jax.enable_x64():
    for function in (conv.matmul_conv, lax.conv_general_dilated):
      model = resnet.Backbone(depth=18, width=8, output_features=16, dtype=jnp.float64,
                              conv=function)
      variables = model.init(jax.random.key(0), jnp.zeros((1, 64, 64, 3)))
      params = jax.tree.map(lambda p: p.astype(jnp.float64), variables['params'])

      def loss_fn(params, model=model, variables=variables):
        features, _ = model.apply({'params': params, 'batch_stats': variables['batch_stats']},
                                  x, train=True, mutable=['batch_stats'])
        return jnp.sum(jnp.sin(features)), features
      results.append(jax.jit(jax.value_and_grad(loss_fn, has_aux=True))(params))
  ((_, features_a), grads_a), ((_, features_b), grads_b) = results
  assert features_a.dtype == jnp.float64
  np.testing.assert_allclose(features_a, features_b, rtol=1e-10, atol=1e-10)
  for a, b in zip(jax.tree.leaves(grads_a), jax.tree.leaves(grads_b)):
    np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_unknown_implementation_names_the_key():
  config = config_base.stage('ade20k', config_base.task('segmentation'), steps=10)
  config.model.conv = 'winograd'
  with pytest.raises(UserError, match='winograd') as error:
    trainer.build_stage(config)
  assert error.value.where == 'config.model.conv'
  assert "'matmul', 'lax'" in error.value.fix
