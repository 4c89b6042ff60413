"""1x1 convolutions as matrix multiplications, which XLA:CPU runs faster.

XLA:CPU lowers a 1x1 convolution, and most of all its two gradients, to loops
several times slower than its matrix multiplication (25 ms against 7 ms for
the forward and backward pass of ResNet-50's 64->256 conv at 56x56, batch 8).
`matmul_conv` has `lax.conv_general_dilated`'s signature; a 1x1 convolution
in NHWC/HWIO (any stride and padding, no dilation or groups) becomes one
matrix multiplication [B*H*W, C] @ [C, C'] of the (padded, subsampled) input,
with a custom VJP that computes the kernel's gradient as x^T @ dy and the
input's as dy @ kernel^T, all as 2-D matrices (free reshapes) and accumulated
in float32 for bfloat16. Every other convolution goes to
`lax.conv_general_dilated`: kxk convolutions through patches (tried) did not
win on the whole train step and compiled much longer (bench/train_step.py).

`model.conv` picks the implementation: 'matmul' (the default) or 'lax'.
"""

import functools

import jax
from jax import lax
import jax.numpy as jnp

IMPLEMENTATIONS = ('matmul', 'lax')
_NHWC = ('NHWC', 'HWIO', 'NHWC')


def _pixels(x, stride, padding):
  """The input pixels a 1x1 convolution sees: padded, then every stride-th."""
  x = jnp.pad(x, ((0, 0), *padding, (0, 0)))
  return x[:, ::stride, ::stride]


def _matmul(a, b, dtype):
  """a @ b of 2-D operands, accumulated in float32 at least."""
  accumulator = jnp.promote_types(a.dtype, jnp.float32)
  return jnp.matmul(a, b, preferred_element_type=accumulator).astype(dtype)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _conv1x1(x, kernel, stride: int, padding: tuple):
  pixels = _pixels(x, stride, padding)
  kernel = kernel.reshape(kernel.shape[-2:])
  y = _matmul(pixels.reshape(-1, kernel.shape[0]), kernel, x.dtype)
  return y.reshape(*pixels.shape[:3], kernel.shape[1])


def _conv1x1_fwd(x, kernel, stride, padding):
  return _conv1x1(x, kernel, stride, padding), (x, kernel)


def _conv1x1_bwd(stride, padding, residuals, dy):
  x, kernel = residuals
  pick = functools.partial(_pixels, stride=stride, padding=padding)
  dy2 = dy.reshape(-1, dy.shape[-1])
  dkernel = _matmul(pick(x).reshape(-1, x.shape[-1]).T, dy2, kernel.dtype)
  dpixels = _matmul(dy2, kernel.reshape(kernel.shape[-2:]).T, x.dtype)
  unpick = jax.linear_transpose(pick, jax.ShapeDtypeStruct(x.shape, x.dtype))
  dx, = unpick(dpixels.reshape(*dy.shape[:3], -1))
  return dx, dkernel.reshape(kernel.shape)


_conv1x1.defvjp(_conv1x1_fwd, _conv1x1_bwd)


def matmul_conv(lhs, rhs, window_strides, padding, lhs_dilation=None,
                rhs_dilation=None, dimension_numbers=None,
                feature_group_count=1, precision=None, **kwargs):
  """`lax.conv_general_dilated`, with 1x1 convolutions as matrix multiplications."""
  if (lhs.ndim != 4 or kwargs or feature_group_count != 1 or rhs.shape[:2] != (1, 1)
      or window_strides[0] != window_strides[1]
      or lax.conv_dimension_numbers(lhs.shape, rhs.shape, dimension_numbers)
      != lax.conv_dimension_numbers(lhs.shape, rhs.shape, _NHWC)
      or any(d != 1 for d in (*(lhs_dilation or ()), *(rhs_dilation or ())))):
    return lax.conv_general_dilated(
        lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
        rhs_dilation=rhs_dilation, dimension_numbers=dimension_numbers,
        feature_group_count=feature_group_count, precision=precision, **kwargs)
  if isinstance(padding, str):
    padding = lax.padtype_to_pads(lhs.shape[1:3], (1, 1), window_strides, padding)
  padding = tuple((int(lo), int(hi)) for lo, hi in padding)
  return _conv1x1(lhs, rhs, int(window_strides[0]), padding)


def conv_function(implementation: str):
  """The `conv_general_dilated` for nn.Conv of a `model.conv` name."""
  return {'matmul': matmul_conv, 'lax': lax.conv_general_dilated}[implementation]
