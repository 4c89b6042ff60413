"""HRNetV2 backbone: structure, shapes, and numerical equality with timm."""

import importlib.util
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from transfer.models.hrnet import Backbone, convert_torch

# timm hrnet_wXX parameters minus incre_modules, downsamp_modules,
# final_layer and classifier (timm 1.0.31).
_TIMM_BACKBONE_PARAMS = {18: 9_562_260, 32: 29_305_536, 48: 65_325_120}
_HEAD = ('incre_modules', 'downsamp_modules', 'final_layer', 'classifier')


# Runs in a subprocess: importing timm (which loads triton) after TensorFlow,
# as conftest.py does, crashes the interpreter.
_TIMM_REFERENCE = """
import sys
import numpy as np
import timm
import torch

torch.set_num_threads(2)
torch.manual_seed(0)
model = timm.create_model('hrnet_w18', pretrained=False).float()
with torch.no_grad():
  for m in model.modules():
    if isinstance(m, torch.nn.BatchNorm2d):
      m.weight.uniform_(0.05, 0.2)  # Keeps the outputs' scale at a few units.
      m.bias.uniform_(-0.2, 0.2)
      m.momentum = 1.0
  # Running statistics of another batch: BatchNorm is neither the identity nor
  # the test input's own normalisation.
  model.train()(torch.randn(2, 3, 64, 96))
model.eval()
x = torch.from_numpy(np.random.default_rng(0).normal(
    size=(1, 3, 64, 96)).astype(np.float32))
with torch.no_grad():
  x = model.act1(model.bn1(model.conv1(x)))
  x = model.act2(model.bn2(model.conv2(x)))
  branches = model.stages(x)  # Stage-4 outputs, before the classifier head.
arrays = {'state/' + k: v.numpy() for k, v in model.state_dict().items()}
arrays.update({f'branch{i}': b.numpy() for i, b in enumerate(branches)})
np.savez(sys.argv[1], **arrays)
"""


@pytest.mark.parametrize('width', [18, 32, 48])
def test_param_count_equals_timm_without_head(width):
  shapes = jax.eval_shape(Backbone(width).init, jax.random.key(0),
                          jnp.zeros((1, 64, 64, 3)))
  count = sum(int(np.prod(x.shape)) for x in jax.tree.leaves(shapes['params']))
  assert count == _TIMM_BACKBONE_PARAMS[width]


def test_tiny_forward_shapes():
  model = Backbone(width=4)
  x = jnp.ones((2, 64, 96, 3))
  out, variables = model.init_with_output(jax.random.key(0), x)
  assert out.shape == (2, 16, 24, 15 * 4)
  branches = model.apply(variables, x, return_branches=True)
  assert [b.shape for b in branches] == [
      (2, 64 // s, 96 // s, 4 * 2**i) for i, s in enumerate((4, 8, 16, 32))]
  np.testing.assert_array_equal(out[..., :4], branches[0])


@pytest.mark.skipif(not importlib.util.find_spec('timm'),
                    reason='needs torch and timm')
def test_matches_timm_hrnet_w18(tmp_path):
  path = tmp_path / 'reference.npz'
  subprocess.run([sys.executable, '-c', _TIMM_REFERENCE, str(path)],
                 check=True, timeout=120)
  with np.load(path) as f:
    arrays = dict(f)
  state = {k[len('state/'):]: v for k, v in arrays.items()
           if k.startswith('state/')}
  variables, unused, missing = convert_torch(state, width=18)
  assert not missing
  assert 'classifier.weight' in unused
  assert all(k.split('.')[0] in _HEAD for k in unused)
  x = np.random.default_rng(0).normal(size=(1, 3, 64, 96)).astype(np.float32)
  ours = Backbone(18).apply(variables, x.transpose(0, 2, 3, 1),
                            return_branches=True)
  for i, o in enumerate(ours):
    expected = arrays[f'branch{i}'].transpose(0, 2, 3, 1)
    assert o.shape == expected.shape
    print(f'branch {i}: max |diff| {np.abs(o - expected).max():.2e}, '
          f'max |value| {np.abs(expected).max():.2f}')
    assert 0.1 < np.abs(expected).max() < 100
    np.testing.assert_allclose(np.asarray(o), expected, rtol=0, atol=1e-4)


def test_convert_torch_reports_head_keys_and_wrong_shapes():
  state = {'conv1.weight': np.ones((64, 3, 3, 3), np.float32),
           'bn1.num_batches_tracked': np.array(0),
           'unknown.weight': np.zeros((3,), np.float32),
           'classifier.weight': np.zeros((1000, 2048), np.float32),
           'final_layer.0.weight': np.zeros((2048, 1024, 1, 1), np.float32)}
  variables, unused, missing = convert_torch(state, width=4)
  assert variables['params']['stem1_conv']['kernel'].shape == (3, 3, 3, 64)
  assert unused == ['unknown.weight', 'classifier.weight',
                    'final_layer.0.weight']
  assert 'params/stem1_bn/scale' in missing
  assert 'params/stem1_conv/kernel' not in missing
  state['conv1.weight'] = np.zeros((64, 3, 5, 5), np.float32)
  with pytest.raises(ValueError, match=r'conv1\.weight'):
    convert_torch(state, width=4)
