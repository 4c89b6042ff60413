"""The PyTorch -> Orbax converter and `init.kind='ilsvrc'` (needs the `convert` extra)."""

import importlib.util
import json
import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from transfer import config_base, trainer
from transfer.tools import convert_torch

# torchvision segfaults when imported after TensorFlow (which conftest
# imports), so the reference files are written by a separate process.
_WRITE_RESNET18 = """
import sys, torch, torchvision
from safetensors.torch import save_file
torch.manual_seed(0)
model = torchvision.models.resnet18(weights=None)
for module in model.modules():
  if isinstance(module, torch.nn.BatchNorm2d):
    module.running_mean.uniform_(-0.5, 0.5)
    module.running_var.uniform_(0.5, 1.5)
state = model.state_dict()
torch.save(state, sys.argv[1] + '/resnet18.pth')
save_file({k: v.contiguous() for k, v in state.items()}, sys.argv[1] + '/resnet18.safetensors')
torch.save(model, sys.argv[1] + '/pickled_model.pth')  # A whole object: must be refused.
"""

if importlib.util.find_spec('torchvision') is None:
  pytest.skip('needs the convert extra (torch, torchvision)', allow_module_level=True)


@pytest.fixture(scope='module')
def resnet18(tmp_path_factory):
  """A random torchvision resnet18 as .pth and .safetensors, and its tensors."""
  from safetensors.numpy import load_file  # pylint: disable=g-import-not-at-top
  folder = tmp_path_factory.mktemp('resnet18')
  subprocess.run([sys.executable, '-c', _WRITE_RESNET18, str(folder)], check=True)
  return folder, load_file(str(folder / 'resnet18.safetensors'))


def _read_backbone(out):
  from transfer import checkpoints  # pylint: disable=g-import-not-at-top
  mngr = checkpoints.manager(os.path.join(out, 'checkpoints'), read_only=True)
  meta = mngr.item_metadata(0)['state']
  abstract = jax.tree.map(lambda m: jax.ShapeDtypeStruct(m.shape, m.dtype), meta)
  return checkpoints.restore(mngr, 0, abstract)


def test_converts_torchvision_resnet18_and_names_what_it_left_out(resnet18, tmp_path):
  folder, state = resnet18
  out = str(tmp_path / 'out')
  assert convert_torch.main(['--arch', 'resnet18', '--src', str(folder / 'resnet18.pth'),
                             '--out', out]) == 0
  with open(os.path.join(out, 'conversion.json')) as f:
    report = json.load(f)
  assert report['unused_tensors'] == ['fc.bias', 'fc.weight']
  assert report['not_in_checkpoint'] and all('/fpn/' in p or p.startswith(('params/fpn', 'batch_stats/fpn'))
                                             for p in report['not_in_checkpoint'])
  restored = _read_backbone(out)
  np.testing.assert_array_equal(restored['params']['backbone']['conv1']['kernel'],
                                state['conv1.weight'].transpose(2, 3, 1, 0))
  np.testing.assert_array_equal(restored['batch_stats']['backbone']['bn1']['var'],
                                state['bn1.running_var'])


def test_safetensors_gives_the_same_checkpoint(resnet18, tmp_path):
  folder, _ = resnet18
  outs = []
  for name in ('resnet18.pth', 'resnet18.safetensors'):
    out = str(tmp_path / name)
    assert convert_torch.main(['--arch', 'resnet18', '--src', str(folder / name),
                               '--out', out]) == 0
    outs.append(_read_backbone(out))
  for a, b in zip(jax.tree.leaves(outs[0]), jax.tree.leaves(outs[1])):
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize('case,message', [
    ('missing_file', 'No checkpoint file'),
    ('pickled_object', 'weights-only'),
    ('wrong_arch', 'does not fit'),
    ('unknown_arch', 'Unknown --arch'),
    ('output_not_empty', 'is not empty'),
])
def test_bad_input_is_one_clear_error(resnet18, tmp_path, capsys, case, message):
  folder, _ = resnet18
  arch, src, out = 'resnet18', str(folder / 'resnet18.pth'), tmp_path / 'out'
  if case == 'missing_file':
    src = str(folder / 'nope.pth')
  elif case == 'pickled_object':
    src = str(folder / 'pickled_model.pth')
  elif case == 'wrong_arch':
    arch = 'hrnet_w18'
  elif case == 'unknown_arch':
    arch = 'vit_b16'
  elif case == 'output_not_empty':
    out.mkdir()
    (out / 'keep.txt').write_text('precious')
  assert convert_torch.main(['--arch', arch, '--src', src, '--out', str(out)]) == 1
  err = capsys.readouterr().err
  assert err.startswith('error: ') and message in err and 'how to fix' in err
  if case == 'output_not_empty':
    assert os.listdir(out) == ['keep.txt'] and (out / 'keep.txt').read_text() == 'precious'


def test_ilsvrc_init_loads_the_converted_backbone(resnet18, tmp_path, synthetic_data_dir):
  folder, state = resnet18
  out = str(tmp_path / 'ilsvrc')
  assert convert_torch.main(['--arch', 'resnet18', '--src', str(folder / 'resnet18.pth'),
                             '--out', out]) == 0
  config = config_base.stage('synthetic_sunny', config_base.task('segmentation', head_features=8),
                             steps=0, size=(64, 64), batch_size=8,
                             init_config=config_base.init('ilsvrc'))
  config.model.backbone = 'resnet'
  config.model.resnet.update(depth=18, output_features=16)
  config.init.checkpoint = os.path.join(out, 'checkpoints')
  config.visualize.num_images = 0
  result = trainer.train_and_evaluate(config, str(tmp_path / 'run'), data_dir=synthetic_data_dir)
  report = result['transfer']
  assert report['init'] == 'ilsvrc'
  assert all('/fpn/' in name or '/head/' in name for name in report['reinitialised'])
  assert any('/fpn/' in name for name in report['reinitialised'])
  params = result['state']['params']['backbone']
  np.testing.assert_array_equal(np.asarray(params['layer4_1']['conv2']['kernel']),
                                state['layer4.1.conv2.weight'].transpose(2, 3, 1, 0))
