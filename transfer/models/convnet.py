"""A small residual ConvNet with an HRNetV2-style output.

Stages at strides 4, 8, 16 and 32; every stage's output is projected,
upsampled to 1/4 of the input and concatenated, like HRNetV2's representation,
so dense heads see one feature map at 1/4 resolution.
"""

import functools
from typing import Callable, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from transfer.models import conv as conv_lib


def _norm(train: bool, dtype, name: str | None = None):
  return nn.BatchNorm(use_running_average=not train, momentum=0.9, dtype=dtype,
                      name=name)


class ResidualBlock(nn.Module):
  features: int
  strides: int = 1
  dtype: jnp.dtype = jnp.float32
  conv: Callable = conv_lib.matmul_conv  # nn.Conv's conv_general_dilated.

  @nn.compact
  def __call__(self, x, train: bool):
    conv = functools.partial(nn.Conv, use_bias=False, dtype=self.dtype,
                             conv_general_dilated=self.conv)
    y = conv(self.features, (3, 3), self.strides)(x)
    y = nn.relu(_norm(train, self.dtype)(y))
    y = conv(self.features, (3, 3))(y)
    y = _norm(train, self.dtype)(y)
    if x.shape[-1] != self.features or self.strides != 1:
      x = conv(self.features, (1, 1), self.strides, name='shortcut')(x)
      x = _norm(train, self.dtype, name='shortcut_norm')(x)
    return nn.relu(x + y)


class Backbone(nn.Module):
  """Input: normalised float image [B, H, W, 3]; output [B, H/4, W/4, C]."""
  width: int = 32
  blocks_per_stage: Sequence[int] = (1, 1, 1, 1)
  dtype: jnp.dtype = jnp.float32  # computation; parameters stay float32.
  conv: Callable = conv_lib.matmul_conv

  @nn.compact
  def __call__(self, x, train: bool = False):
    conv = functools.partial(nn.Conv, use_bias=False, dtype=self.dtype,
                             conv_general_dilated=self.conv)
    x = conv(self.width, (3, 3), 2, name='stem_conv1')(x)
    x = nn.relu(_norm(train, self.dtype, 'stem_norm1')(x))
    x = conv(self.width, (3, 3), 2, name='stem_conv2')(x)
    x = nn.relu(_norm(train, self.dtype, 'stem_norm2')(x))
    quarter = x.shape[1:3]
    outputs = []
    for stage, num_blocks in enumerate(self.blocks_per_stage):
      features = self.width * 2**stage
      for block in range(num_blocks):
        strides = 2 if stage > 0 and block == 0 else 1
        x = ResidualBlock(features, strides, self.dtype, self.conv,
                          name=f'stage{stage}_block{block}')(x, train)
      y = conv(self.width, (1, 1), name=f'fuse{stage}')(x)
      y = nn.relu(_norm(train, self.dtype, f'fuse_norm{stage}')(y))
      outputs.append(jax.image.resize(
          y, (y.shape[0], *quarter, y.shape[-1]), 'bilinear'))
    return jnp.concatenate(outputs, axis=-1)
