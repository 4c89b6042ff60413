"""ResNet-18/34/50/101 with a feature pyramid output, equal to torchvision's.

Architecture: torchvision's ResNet (v1.5): a 7x7 stride-2 conv, BN, ReLU and a
3x3 stride-2 max pool, then stages `layer1`..`layer4` of BasicBlocks (18, 34)
or Bottlenecks (50, 101, stride on the 3x3 conv) with a 1x1 conv + BN
shortcut where the shape changes. Their outputs C2..C5 have strides 4..32.

Dense output: a feature pyramid (Lin et al. 2017) under the submodule `fpn`:
1x1 lateral convs to `output_features`, top-down nearest upsampling and
addition, a 3x3 conv per level; then, as in Panoptic FPN (simplified), every
level is resized bilinearly to the 1/4 size and summed:
[B, ceil(H/4), ceil(W/4), output_features].

Equivalence: with explicit paddings (max pool padded with -inf) and BN epsilon
1e-5, `return_branches=True` gives torchvision's C2..C5 in eval mode
(tests/test_resnet.py). Names mirror torchvision's, with `_` for `.`:
`layer1.0.downsample.0` is `layer1_0/downsample_conv`. `convert_torch` maps a
state dict: conv weight OIHW -> kernel HWIO, BN weight/bias -> scale/bias,
running_mean/var -> batch_stats mean/var; `fc.*` is unused and `fpn` (the
`NEW_LAYERS`) is missing from ImageNet checkpoints.
"""

import re
from typing import Callable

import flax.linen as nn
from flax import traverse_util
import jax
import jax.numpy as jnp
import numpy as np

from transfer.models import conv as conv_lib

NEW_LAYERS = ('fpn',)

# depth -> (bottleneck?, blocks per stage).
_CONFIGS = {18: (False, (2, 2, 2, 2)), 34: (False, (3, 4, 6, 3)),
            50: (True, (3, 4, 6, 3)), 101: (True, (3, 4, 23, 3))}


def _conv(features, kernel, strides, dtype, conv, name):
  pad = kernel // 2
  return nn.Conv(features, (kernel, kernel), strides, padding=[(pad, pad)] * 2,
                 use_bias=False, dtype=dtype, conv_general_dilated=conv, name=name)


def _bn(train, dtype, name):
  return nn.BatchNorm(use_running_average=not train, momentum=0.9,
                      epsilon=1e-5, dtype=dtype, name=name)


class Block(nn.Module):
  """torchvision's BasicBlock, or Bottleneck (output 4 * features)."""
  features: int
  strides: int
  bottleneck: bool
  dtype: jnp.dtype = jnp.float32
  conv: Callable = conv_lib.matmul_conv  # nn.Conv's conv_general_dilated.

  @nn.compact
  def __call__(self, x, train: bool):
    if self.bottleneck:
      layers = ((self.features, 1, 1), (self.features, 3, self.strides),
                (4 * self.features, 1, 1))
    else:
      layers = ((self.features, 3, self.strides), (self.features, 3, 1))
    y = x
    for i, (features, kernel, strides) in enumerate(layers, 1):
      y = _conv(features, kernel, strides, self.dtype, self.conv, f'conv{i}')(y)
      y = _bn(train, self.dtype, f'bn{i}')(y)
      if i < len(layers):
        y = nn.relu(y)
    if self.strides != 1 or x.shape[-1] != y.shape[-1]:
      x = _conv(y.shape[-1], 1, self.strides, self.dtype, self.conv,
                'downsample_conv')(x)
      x = _bn(train, self.dtype, 'downsample_bn')(x)
    return nn.relu(x + y)


class FPN(nn.Module):
  """Feature pyramid on C2..C5, summed at the C2 resolution."""
  features: int
  dtype: jnp.dtype = jnp.float32
  conv: Callable = conv_lib.matmul_conv  # nn.Conv's conv_general_dilated.

  @nn.compact
  def __call__(self, branches):
    def conv(kernel, name):
      return nn.Conv(self.features, (kernel, kernel),
                     padding=[(kernel // 2, kernel // 2)] * 2, dtype=self.dtype,
                     conv_general_dilated=self.conv,
                     name=name)

    laterals = [conv(1, f'lateral{i}')(c) for i, c in enumerate(branches, 2)]
    for i in range(len(laterals) - 2, -1, -1):
      laterals[i] = laterals[i] + jax.image.resize(
          laterals[i + 1], laterals[i].shape, 'nearest')
    out = 0
    for i, p in enumerate(laterals, 2):
      p = conv(3, f'output{i}')(p)
      out = out + jax.image.resize(p, laterals[0].shape, 'bilinear')
    return out


class Backbone(nn.Module):
  """Input: normalised float image [B, H, W, 3]; output [B, H/4, W/4, F]."""
  depth: int = 50
  width: int = 64
  output_features: int = 256
  dtype: jnp.dtype = jnp.float32
  conv: Callable = conv_lib.matmul_conv  # nn.Conv's conv_general_dilated.

  @nn.compact
  def __call__(self, x, train: bool = False, return_branches: bool = False):
    if self.depth not in _CONFIGS:
      raise ValueError(f'ResNet depth {self.depth} not in {sorted(_CONFIGS)}.')
    bottleneck, blocks_per_stage = _CONFIGS[self.depth]
    x = _conv(self.width, 7, 2, self.dtype, self.conv, 'conv1')(x)
    x = nn.relu(_bn(train, self.dtype, 'bn1')(x))
    x = nn.max_pool(x, (3, 3), (2, 2), padding=((1, 1), (1, 1)))
    branches = []
    for stage, num_blocks in enumerate(blocks_per_stage):
      for block in range(num_blocks):
        strides = 2 if stage > 0 and block == 0 else 1
        x = Block(self.width * 2**stage, strides, bottleneck, self.dtype, self.conv,
                  name=f'layer{stage + 1}_{block}')(x, train)
      branches.append(x)
    if return_branches:
      return branches
    return FPN(self.output_features, self.dtype, self.conv, name='fpn')(branches)


def _flax_path(key: str) -> tuple[str, ...] | None:
  """torchvision key -> ('params' | 'batch_stats', module..., leaf), or None."""
  key = re.sub(r'^(layer\d)\.(\d+)\.', r'\1_\2/', key)
  key = key.replace('downsample.0.', 'downsample_conv.').replace(
      'downsample.1.', 'downsample_bn.')
  module, _, leaf = key.rpartition('.')
  is_conv = 'conv' in module.rpartition('/')[2]
  leaves = {'weight': ('params', 'kernel' if is_conv else 'scale'),
            'bias': ('params', 'bias'), 'running_mean': ('batch_stats', 'mean'),
            'running_var': ('batch_stats', 'var')}
  if not module or leaf not in leaves:
    return None
  collection, name = leaves[leaf]
  return (collection, *module.split('/'), name)


def convert_torch(state: dict[str, np.ndarray], depth: int, width: int = 64
                  ) -> tuple[dict, list[str], list[str]]:
  """Maps a torchvision ResNet state dict (numpy arrays) to Backbone variables.

  Returns ({'params': ..., 'batch_stats': ...}, unused torch keys, missing
  Flax paths 'collection/module/.../leaf'); only converted arrays are
  returned. Raises ValueError naming the key on a shape mismatch.
  """
  model = Backbone(depth=depth, width=width)
  expected = traverse_util.flatten_dict(jax.eval_shape(
      model.init, jax.random.key(0), jnp.zeros((1, 64, 64, 3))))
  converted, unused = {}, []
  for key, value in state.items():
    if key.endswith('num_batches_tracked'):
      continue
    path = _flax_path(key)
    if path not in expected:
      unused.append(key)
      continue
    value = np.asarray(value, np.float32)
    if path[-1] == 'kernel':
      value = value.transpose(2, 3, 1, 0)
    if value.shape != expected[path].shape:
      raise ValueError(f'{key}: shape {value.shape} (as {"/".join(path)}) but '
                       f'the depth-{depth} width-{width} ResNet expects '
                       f'{expected[path].shape}.')
    converted[path] = value
  missing = ['/'.join(p) for p in expected if p not in converted]
  return traverse_util.unflatten_dict(converted), unused, missing
