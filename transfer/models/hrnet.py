"""HRNetV2 backbone (Wang et al., Deep High-Resolution Representation Learning).

HRNet keeps a high-resolution branch through the whole network and adds
lower-resolution branches (strides 4, 8, 16, 32 with width w, 2w, 4w, 8w)
stage by stage, exchanging information between them after every module. The
HRNetV2 representation upsamples every branch bilinearly to the stride-4
branch and concatenates them: 15w channels at 1/4 resolution (720 for W48).

The structure and the parameter count equal timm's `hrnet_w18/w32/w48`
without its classification head (incre_modules, downsamp_modules,
final_layer, classifier); `convert_torch` maps a timm state dict onto this
module's parameters.
"""

from typing import Any, Callable, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from transfer.models import conv as conv_lib

# (num_modules) of stages 2, 3, 4; every branch has 4 BasicBlocks.
_STAGE_MODULES = ((2, 1), (3, 4), (4, 3))
_HEAD_PREFIXES = ('incre_modules.', 'downsamp_modules.', 'final_layer.',
                  'classifier.')


def _conv(features: int, kernel: int, strides: int, dtype, conv: Callable, name: str):
  pad = kernel // 2  # Explicit, as in PyTorch ('SAME' differs at stride 2).
  return nn.Conv(features, (kernel, kernel), strides,
                 padding=((pad, pad), (pad, pad)), use_bias=False,
                 dtype=dtype, conv_general_dilated=conv, name=name)


def _bn(train: bool, dtype, name: str):
  return nn.BatchNorm(use_running_average=not train, momentum=0.9,
                      epsilon=1e-5, dtype=dtype, name=name)


class BasicBlock(nn.Module):
  """Two 3x3 convs with an identity shortcut (channels are kept)."""
  dtype: Any = jnp.float32
  conv: Callable = conv_lib.matmul_conv  # nn.Conv's conv_general_dilated.

  @nn.compact
  def __call__(self, x, train: bool):
    c = x.shape[-1]
    y = nn.relu(_bn(train, self.dtype, 'bn1')(
        _conv(c, 3, 1, self.dtype, self.conv, 'conv1')(x)))
    y = _bn(train, self.dtype, 'bn2')(_conv(c, 3, 1, self.dtype, self.conv, 'conv2')(y))
    return nn.relu(x + y)


class Bottleneck(nn.Module):
  """1x1 -> 3x3 -> 1x1 (4x `planes` out), projection shortcut if needed."""
  planes: int
  dtype: Any = jnp.float32
  conv: Callable = conv_lib.matmul_conv  # nn.Conv's conv_general_dilated.

  @nn.compact
  def __call__(self, x, train: bool):
    p, d, cv = self.planes, self.dtype, self.conv
    y = nn.relu(_bn(train, d, 'bn1')(_conv(p, 1, 1, d, cv, 'conv1')(x)))
    y = nn.relu(_bn(train, d, 'bn2')(_conv(p, 3, 1, d, cv, 'conv2')(y)))
    y = _bn(train, d, 'bn3')(_conv(4 * p, 1, 1, d, cv, 'conv3')(y))
    if x.shape[-1] != 4 * p:
      x = _conv(4 * p, 1, 1, d, cv, 'downsample_conv')(x)
      x = _bn(train, d, 'downsample_bn')(x)
    return nn.relu(x + y)


class HighResolutionModule(nn.Module):
  """Parallel branches of BasicBlocks, then every output sums all branches.

  Lower-resolution inputs j > i: 1x1 conv + BN + nearest upsample; higher
  resolution inputs j < i: i - j stride-2 3x3 conv + BN (ReLU but the last).
  """
  num_blocks: int = 4
  dtype: Any = jnp.float32
  conv: Callable = conv_lib.matmul_conv  # nn.Conv's conv_general_dilated.

  @nn.compact
  def __call__(self, xs: Sequence[jax.Array], train: bool):
    d, cv = self.dtype, self.conv
    ys = []
    for i, x in enumerate(xs):
      for b in range(self.num_blocks):
        x = BasicBlock(d, cv, name=f'branch{i}_block{b}')(x, train)
      ys.append(x)
    channels = [y.shape[-1] for y in ys]
    outputs = []
    for i in range(len(ys)):
      total = None
      for j, y in enumerate(ys):
        if j > i:
          y = _conv(channels[i], 1, 1, d, cv, f'fuse_{i}_{j}_conv')(y)
          y = _bn(train, d, f'fuse_{i}_{j}_bn')(y)
          y = jnp.repeat(jnp.repeat(y, 2**(j - i), 1), 2**(j - i), 2)
        for k in range(i - j):
          last = k == i - j - 1
          y = _conv(channels[i] if last else channels[j], 3, 2, d, cv,
                    f'fuse_{i}_{j}_down{k}_conv')(y)
          y = _bn(train, d, f'fuse_{i}_{j}_down{k}_bn')(y)
          y = y if last else nn.relu(y)
        total = y if total is None else total + y
      outputs.append(nn.relu(total))
    return outputs


class Backbone(nn.Module):
  """Input: normalised float image [B, H, W, 3], H and W multiples of 32.

  Output: [B, H/4, W/4, 15w], or with `return_branches` the stage-4 branches
  [B, H/s, W/s, w * s/4] for s = 4, 8, 16, 32.
  """
  width: int = 48
  dtype: Any = jnp.float32
  conv: Callable = conv_lib.matmul_conv  # nn.Conv's conv_general_dilated.

  @nn.compact
  def __call__(self, x, train: bool = False, return_branches: bool = False):
    d, cv = self.dtype, self.conv

    def conv_bn_relu(x, features, strides, name):
      x = _conv(features, 3, strides, d, cv, f'{name}_conv')(x)
      return nn.relu(_bn(train, d, f'{name}_bn')(x))

    x = conv_bn_relu(x, 64, 2, 'stem1')
    x = conv_bn_relu(x, 64, 2, 'stem2')
    for b in range(4):
      x = Bottleneck(64, d, cv, name=f'layer1_block{b}')(x, train)
    channels = [self.width * 2**i for i in range(4)]
    xs = [conv_bn_relu(x, channels[0], 1, 'transition1_0'),
          conv_bn_relu(x, channels[1], 2, 'transition1_1_down0')]
    for stage, num_modules in _STAGE_MODULES:
      if stage > 2:
        xs.append(conv_bn_relu(xs[-1], channels[stage - 1], 2,
                               f'transition{stage - 1}_{stage - 1}_down0'))
      for m in range(num_modules):
        xs = HighResolutionModule(dtype=d, conv=cv, name=f'stage{stage}_module{m}')(
            xs, train)
    if return_branches:
      return xs
    shape = xs[0].shape[:3]
    return jnp.concatenate(
        [xs[0]] + [jax.image.resize(y, (*shape, y.shape[-1]), 'bilinear')
                   for y in xs[1:]], axis=-1)


def _conv_or_bn(parts: list[str]) -> str:
  """['0'] -> 'conv', ['2', '1'] -> 'down2_bn' (timm Sequential indices)."""
  kind = ('conv', 'bn')[int(parts[-1])]
  return kind if len(parts) == 1 else f'down{parts[0]}_{kind}'


def _flax_path(key: str) -> tuple[str, ...] | None:
  """timm name -> (collection, *module path, leaf) of `Backbone`, or None."""
  *p, leaf = key.split('.')
  if not p:
    return None
  if p[0] in ('conv1', 'bn1', 'conv2', 'bn2'):
    path = [f'stem{p[0][-1]}_{p[0][:-1]}']
  elif p[0] == 'layer1':
    name = p[2] if len(p) == 3 else f'downsample_{("conv", "bn")[int(p[3])]}'
    path = [f'layer1_block{p[1]}', name]
  elif p[0].startswith('transition'):
    path = [f'{p[0]}_{p[1]}_{_conv_or_bn(p[2:])}']
  elif p[0].startswith('stage') and len(p) == 6 and p[2] == 'branches':
    path = [f'{p[0]}_module{p[1]}', f'branch{p[3]}_block{p[4]}', p[5]]
  elif p[0].startswith('stage') and len(p) > 5 and p[2] == 'fuse_layers':
    path = [f'{p[0]}_module{p[1]}', f'fuse_{p[3]}_{p[4]}_{_conv_or_bn(p[5:])}']
  else:
    return None
  is_conv = 'conv' in path[-1] and leaf == 'weight'
  collection = 'batch_stats' if leaf.startswith('running_') else 'params'
  leaf = 'kernel' if is_conv else {'weight': 'scale', 'running_mean': 'mean',
                                   'running_var': 'var'}.get(leaf, leaf)
  return (collection, *path, leaf)


def convert_torch(state: dict[str, np.ndarray], width: int
                  ) -> tuple[dict, list[str], list[str]]:
  """Maps a timm hrnet_wXX state dict (numpy) onto `Backbone(width)`.

  Returns ({'params', 'batch_stats'}, unused timm keys (the classification
  head's), missing Flax paths as 'collection/a/b/leaf'). Raises ValueError on
  a shape mismatch.
  """
  shapes = jax.eval_shape(Backbone(width).init, jax.random.key(0),
                          jax.ShapeDtypeStruct((1, 64, 64, 3), jnp.float32))
  expected = {'/'.join(k.key for k in path): v.shape for path, v in
              jax.tree_util.tree_flatten_with_path(shapes)[0]}
  flat, unused = {}, []
  for key, value in state.items():
    if key.endswith('num_batches_tracked'):
      continue
    if key.startswith(_HEAD_PREFIXES):
      unused.append(key)
      continue
    name = '/'.join(_flax_path(key) or ())
    if name not in expected:
      unused.append(key)
      continue
    value = np.asarray(value, np.float32)
    if value.ndim == 4:
      value = value.transpose(2, 3, 1, 0)  # OIHW -> HWIO.
    if value.shape != expected[name]:
      layout = ' (HWIO)' if value.ndim == 4 else ''
      raise ValueError(f'{key}: shape {np.shape(state[key])} does not fit '
                       f'{name} of Backbone(width={width}), which needs '
                       f'{expected[name]}{layout}.')
    flat[name] = value
  missing = sorted(set(expected) - set(flat))
  tree = {}
  for name, value in flat.items():
    *parents, leaf = name.split('/')
    node = tree
    for p in parents:
      node = node.setdefault(p, {})
    node[leaf] = value
  return tree, unused, missing
