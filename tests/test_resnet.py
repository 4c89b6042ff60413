"""ResNet backbone: parameter counts and equality with torchvision."""

import importlib.util
import os
import re
import subprocess
import sys

from flax import traverse_util
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from transfer.models import resnet

# torchvision resnet{18,50,101}: parameters without `fc` (torchvision 0.29).
TORCHVISION_PARAMS = {18: 11_176_512, 50: 23_508_032, 101: 42_500_160}


def _shapes(depth, width=64, shape=(1, 64, 64, 3)):
  return jax.eval_shape(resnet.Backbone(depth=depth, width=width).init,
                        jax.random.key(0), jnp.zeros(shape))


@pytest.mark.parametrize('depth', sorted(TORCHVISION_PARAMS))
def test_parameter_count_matches_torchvision(depth):
  params = _shapes(depth)['params']
  count = sum(x.size for name, tree in params.items() if name != 'fpn'
              for x in jax.tree.leaves(tree))
  assert count == TORCHVISION_PARAMS[depth]


@pytest.mark.parametrize('shape', [(2, 64, 96, 3), (1, 72, 100, 3)])
def test_dense_output_shape(shape):
  model = resnet.Backbone(depth=18, width=8, output_features=16)
  # Random numpy values, not model.init: jax.random compiles slowly on CPU.
  rng = np.random.default_rng(0)
  variables = jax.tree_util.tree_map_with_path(
      lambda path, v: (np.ones(v.shape) if path[-1].key == 'var'
                       else rng.normal(0, 0.1, v.shape)),
      jax.eval_shape(model.init, jax.random.key(0), jnp.zeros(shape)))
  y = jax.jit(model.apply)(variables, rng.normal(size=shape))
  b, h, w, _ = shape
  assert y.shape == (b, -(-h // 4), -(-w // 4), 16)
  assert bool(jnp.all(jnp.isfinite(y)))


def _random_state(depth, width=64):
  """A random state dict with torchvision's keys and shapes, plus `fc`."""
  rng = np.random.default_rng(0)
  state = {'fc.weight': np.zeros((10, 8 * width)), 'fc.bias': np.zeros(10)}
  leaves = {'kernel': 'weight', 'scale': 'weight', 'bias': 'bias',
            'mean': 'running_mean', 'var': 'running_var'}
  for path, x in traverse_util.flatten_dict(_shapes(depth, width)).items():
    if path[1] == 'fpn':
      continue
    key = '.'.join(path[1:-1]).replace('downsample_conv', 'downsample.0')
    key = re.sub(r'^(layer\d)_(\d+)', r'\1.\2',
                 key.replace('downsample_bn', 'downsample.1'))
    shape = x.shape
    if path[-1] == 'kernel':
      shape = (shape[3], shape[2], shape[0], shape[1])
    state[f'{key}.{leaves[path[-1]]}'] = rng.normal(size=shape)
  return state


def test_convert_reports_unused_missing_and_bad_shapes():
  state = _random_state(18, width=8)
  variables, unused, missing = resnet.convert_torch(state, depth=18, width=8)
  assert sorted(unused) == ['fc.bias', 'fc.weight']
  assert missing and all(p.split('/')[1] == 'fpn' for p in missing)
  assert set(resnet.NEW_LAYERS) == {'fpn'}
  assert variables['params']['layer2_0']['downsample_conv']['kernel'].shape == (
      1, 1, 8, 16)
  np.testing.assert_array_equal(
      variables['batch_stats']['layer4_1']['bn2']['var'],
      state['layer4.1.bn2.running_var'].astype(np.float32))
  state['layer3.0.conv2.weight'] = np.zeros((32, 32, 1, 3))
  with pytest.raises(ValueError, match=r'layer3\.0\.conv2\.weight'):
    resnet.convert_torch(state, depth=18, width=8)


# torchvision segfaults when imported after TensorFlow (conftest imports it),
# so the torch reference runs in a subprocess and hands back numpy arrays.
# Random BN statistics do not normalise, so activations grow through the
# blocks (C4 of resnet50 reaches ~90, where float32 rounding alone exceeds the
# 1e-4 tolerance); conv weights scaled by 0.7 keep every stage O(1).
_TORCH_REFERENCE = """
import sys
import numpy as np
import torch
import torchvision

depth, path = int(sys.argv[1]), sys.argv[2]
torch.set_num_threads(2)
torch.manual_seed(0)
net = getattr(torchvision.models, f'resnet{depth}')(weights=None).eval()
with torch.no_grad():
  for module in net.modules():
    if isinstance(module, torch.nn.BatchNorm2d):
      module.weight.uniform_(0.5, 1.5)
      module.bias.normal_(0, 0.1)
      module.running_mean.normal_(0, 0.1)
      module.running_var.uniform_(0.5, 2)
    elif isinstance(module, torch.nn.Conv2d):
      module.weight.mul_(0.7)
  x = torch.randn(1, 3, 64, 96)
  y = net.maxpool(net.relu(net.bn1(net.conv1(x))))
  out = {'x': x.permute(0, 2, 3, 1).numpy()}
  for stage, layer in enumerate((net.layer1, net.layer2, net.layer3,
                                 net.layer4), 2):
    y = layer(y)
    out[f'C{stage}'] = y.permute(0, 2, 3, 1).numpy()
out.update({'state/' + k: v.numpy() for k, v in net.state_dict().items()})
np.savez(path, **out)
"""


@pytest.mark.parametrize('depth', [18, 50])
def test_equal_to_torchvision(depth, tmp_path):
  if importlib.util.find_spec('torchvision') is None:
    pytest.skip('torchvision is not installed')
  path = tmp_path / 'reference.npz'
  subprocess.run([sys.executable, '-c', _TORCH_REFERENCE, str(depth),
                  str(path)], check=True, env={**os.environ, 'CUDA_VISIBLE_DEVICES': ''})
  with np.load(path) as f:
    reference = dict(f)
  state = {k[len('state/'):]: v for k, v in reference.items()
           if k.startswith('state/')}
  variables, unused, missing = resnet.convert_torch(state, depth)
  assert unused == ['fc.weight', 'fc.bias']
  assert missing and all(p.split('/')[1] == 'fpn' for p in missing)
  branches = jax.jit(resnet.Backbone(depth=depth).apply,
                     static_argnames='return_branches')(
      variables, reference['x'], return_branches=True)
  for stage, ours in enumerate(branches, 2):
    theirs = reference[f'C{stage}']
    assert ours.shape == theirs.shape
    diff = float(np.max(np.abs(np.asarray(ours) - theirs)))
    print(f'resnet{depth} C{stage}: max |diff| {diff:.2e}, '
          f'max |value| {np.abs(theirs).max():.1f}')
    assert diff <= 1e-4, f'C{stage}'
