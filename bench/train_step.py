"""Segmentation train-step throughput of a backbone, optionally beside PyTorch.

For one architecture with the segmentation head of `transfer.tasks.base.ConvHead`
(ADE20K's 150 classes), AdamW with global-norm clipping and pixel cross-entropy
at the input resolution: compile time, median step time, images/s, the step's
FLOPs per second by XLA's cost analysis and their share of this chip's
measured matmul rate, XLA's planned peak memory and the process's peak RSS.
With `--vs-torch` the same architecture, head, loss and optimiser in PyTorch
eager (timm's hrnet_wXX `features_only`, torchvision's resnet50 plus the same
FPN), with autocast for `--dtype bfloat16`, timed in the same run with the
two steps alternating, and the ratio ours / PyTorch.

  python bench/train_step.py --arch hrnet_w18 --res 256 --batch 8 [--dtype bfloat16] [--vs-torch]

`--conv lax` measures the plain `lax.conv_general_dilated` convolutions
instead of the default (`model.conv`, see transfer/models/conv.py).
"""

import argparse
import functools
import os
import resource
import statistics
import time

# PyTorch's OpenMP workers spin for a while after each op by default, taking
# the cores from XLA's threads when the two steps alternate.
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
try:  # Before jax and TensorFlow: timm's triton import crashes after them.
  import timm
  import torch
  import torchvision
except ImportError:
  torch = None
import jax
import jax.numpy as jnp
import numpy as np

from transfer import config_base, optim, trainer
from transfer.models import conv

ARCHS = {'hrnet_w18': ('hrnet', {'width': 18}), 'hrnet_w32': ('hrnet', {'width': 32}),
         'hrnet_w48': ('hrnet', {'width': 48}), 'resnet50': ('resnet', {'depth': 50}),
         'resnet18': ('resnet', {'depth': 18})}
CLASSES = 150


def matmul_flops_per_second(dtype: str, n: int = 2048, repeats: int = 5) -> float:
  """XLA's best n^3 matmul rate (bfloat16 inputs accumulate in float32)."""
  a = jnp.ones((n, n), dtype)
  dot = jax.jit(functools.partial(jnp.dot, preferred_element_type=jnp.float32))
  dot(a, a).block_until_ready()
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    dot(a, a).block_until_ready()
    times.append(time.perf_counter() - start)
  return 2 * n**3 / min(times)


def batch_of(batch: int, res: int, seed: int = 0):
  rng = np.random.default_rng(seed)
  return {'image': rng.integers(0, 255, (batch, res, res, 3)).astype(np.uint8),
          'segmentation': rng.integers(0, CLASSES, (batch, res, res, 1)).astype(np.int32)}


def stage_config(arch: str, res: int, batch: int, dtype: str, conv: str | None = None):
  backbone, settings = ARCHS[arch]
  config = config_base.stage('ade20k', config_base.task('segmentation'), steps=100,
                             size=(res, res), batch_size=batch)
  config.model.backbone, config.model.dtype = backbone, dtype
  if conv is not None:
    config.model.conv = conv
  config.model[backbone].update(settings)
  return config


def jax_step(config, data):
  """(compiled step, state, compile seconds, cost dict, planned bytes)."""
  stage = trainer.build_stage(config)
  tx, _ = optim.make_optimizer(config.optimizer, config.steps, 'bench')
  state = jax.jit(functools.partial(trainer.init_state, stage, tx, batch_size=1))(
      jax.random.key(0))
  step = jax.jit(functools.partial(trainer.train_step, stage=stage, tx=tx), donate_argnums=0)
  start = time.perf_counter()
  compiled = step.lower(state, data).compile()
  compile_s = time.perf_counter() - start
  cost = compiled.cost_analysis()
  cost = cost[0] if isinstance(cost, (list, tuple)) else cost
  memory = compiled.memory_analysis()
  planned = (memory.argument_size_in_bytes + memory.output_size_in_bytes
             + memory.temp_size_in_bytes)
  return compiled, state, compile_s, cost, planned


def torch_step(arch: str, data, dtype: str, compile_model: bool = False):
  """A closure running one PyTorch train step, and the model's parameter count.

  On the GPU when torch sees one; `compile_model` applies torch.compile.
  """
  from torch import nn  # pylint: disable=g-import-not-at-top
  import torch.nn.functional as F  # pylint: disable=g-import-not-at-top

  torch.manual_seed(0)
  if arch.startswith('hrnet'):
    net = timm.create_model(arch, pretrained=False, features_only=True, feature_location='')

    def features(x):
      branches = net(x)[1:]  # Strides 4, 8, 16, 32 (the first is the stem).
      size = branches[0].shape[-2:]
      return torch.cat([branches[0]] + [F.interpolate(b, size, mode='bilinear')
                                        for b in branches[1:]], 1)
    channels = 15 * int(arch.split('_w')[1])
  else:
    resnet = getattr(torchvision.models, arch)()
    resnet.fc = nn.Identity()  # Not part of the dense model.
    expansion = 4 if ARCHS[arch][1]['depth'] >= 50 else 1
    laterals = nn.ModuleList(nn.Conv2d(64 * 2**i * expansion, 256, 1) for i in range(4))
    outputs = nn.ModuleList(nn.Conv2d(256, 256, 3, padding=1) for _ in range(4))
    net = nn.ModuleList([resnet, laterals, outputs])

    def features(x):  # transfer.models.resnet.FPN.
      x = resnet.maxpool(resnet.relu(resnet.bn1(resnet.conv1(x))))
      cs = []
      for layer in (resnet.layer1, resnet.layer2, resnet.layer3, resnet.layer4):
        x = layer(x)
        cs.append(x)
      ps = [lateral(c) for lateral, c in zip(laterals, cs)]
      for i in range(len(ps) - 2, -1, -1):
        ps[i] = ps[i] + F.interpolate(ps[i + 1], ps[i].shape[-2:], mode='nearest')
      return sum(F.interpolate(conv(p), ps[0].shape[-2:], mode='bilinear')
                 for conv, p in zip(outputs, ps))
    channels = 256
  head = nn.Sequential(nn.Conv2d(channels, 64, 3, padding=1, bias=False),
                       nn.BatchNorm2d(64), nn.ReLU(), nn.Conv2d(64, CLASSES, 1))
  device = 'cuda' if torch.cuda.is_available() else 'cpu'
  model = nn.ModuleList([net, head]).train().to(device)

  def forward(x):
    return head(features(x))
  forward = torch.compile(forward) if compile_model else forward
  optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-4)
  mean = torch.tensor([0.485, 0.456, 0.406], device=device).view(1, 3, 1, 1) * 255
  std = torch.tensor([0.229, 0.224, 0.225], device=device).view(1, 3, 1, 1) * 255
  image = torch.from_numpy(data['image']).permute(0, 3, 1, 2).float().to(device)
  labels = torch.from_numpy(data['segmentation'][..., 0]).long().to(device)

  def step():
    with torch.autocast(device, torch.bfloat16, enabled=dtype == 'bfloat16'):
      logits = forward((image - mean) / std)
      logits = F.interpolate(logits, labels.shape[-2:], mode='bilinear')
    loss = F.cross_entropy(logits.float(), labels, ignore_index=255)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return loss.item()  # Waits for the step.

  return step, sum(p.numel() for p in model.parameters())


def timed(fn) -> float:
  start = time.perf_counter()
  fn()
  return time.perf_counter() - start


def main():
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--arch', default='hrnet_w18', choices=sorted(ARCHS))
  parser.add_argument('--res', type=int, default=256, help='square input size in pixels')
  parser.add_argument('--batch', type=int, default=8)
  parser.add_argument('--dtype', default='float32', choices=('float32', 'bfloat16'))
  parser.add_argument('--steps', type=int, default=5, help='timed steps (after one warm-up)')
  parser.add_argument('--conv', default=None, choices=conv.IMPLEMENTATIONS,
                      help="model.conv (default: the config's)")
  parser.add_argument('--vs-torch', action='store_true',
                      help='time the PyTorch eager step in the same run, alternating')
  parser.add_argument('--torch-compile', action='store_true',
                      help="with --vs-torch: torch.compile the PyTorch model's forward")
  parser.add_argument('--compile-only', action='store_true',
                      help='print the compile time and planned memory of our step only')
  parser.add_argument('--peak-tflops', type=float, default=None,
                      help="the chip's peak for --dtype (e.g. 989 for an H100/H200 in "
                           "bfloat16): adds the model FLOPs utilisation (MFU)")
  args = parser.parse_args()

  data = batch_of(args.batch, args.res)
  config = stage_config(args.arch, args.res, args.batch, args.dtype, args.conv)
  device_data = jax.device_put(data)  # Once: the timed steps transfer nothing.
  compiled, state, compile_s, cost, planned = jax_step(config, device_data)
  flops = cost.get('flops', float('nan'))
  if args.compile_only:
    print(f'{args.arch} {args.res}x{args.res}, batch {args.batch}, {args.dtype}, '
          f'conv={config.model.conv}: compile {compile_s:.1f} s, '
          f'{flops / 1e9:.0f} GFLOP/step, planned {planned / 2**30:.2f} GiB')
    return
  peak = matmul_flops_per_second(args.dtype)
  params = sum(x.size for x in jax.tree.leaves(state['params']))
  holder = {'state': state}

  def ours():
    holder['state'], *_ = compiled(holder['state'], device_data)
    jax.block_until_ready(holder['state'])

  if args.vs_torch:
    if torch is None:
      parser.error('--vs-torch needs torch, torchvision and timm: pip install -e .[convert]')
    torch.set_num_threads(os.cpu_count())
    theirs, torch_params = torch_step(args.arch, data, args.dtype, args.torch_compile)
  ours()  # Warm-up.
  if args.vs_torch:
    theirs()
  ours_s, theirs_s = [], []
  for _ in range(args.steps):
    ours_s.append(timed(ours))
    if args.vs_torch:
      theirs_s.append(timed(theirs))
  step_s = statistics.median(ours_s)
  print(f'{jax.devices()[0].device_kind} ({os.cpu_count()} cores); {args.arch} '
        f'{args.res}x{args.res}, batch {args.batch}, {args.dtype}, conv={config.model.conv}; '
        f'{args.dtype} matmul 2048^3: {peak / 1e9:.0f} GFLOP/s')
  print(f'ours:    {params / 1e6:.2f}M params, compile {compile_s:.1f} s, step {step_s:.3f} s, '
        f'{args.batch / step_s:.2f} img/s, {flops / step_s / 1e9:.1f} GFLOP/s '
        f'({flops / step_s / peak:.0%} of matmul), planned {planned / 2**30:.2f} GiB')
  if args.peak_tflops:
    print(f'MFU: {flops / step_s / (args.peak_tflops * 1e12):.1%} of {args.peak_tflops:g} TFLOP/s')
  if args.vs_torch:
    torch_step_s = statistics.median(theirs_s)
    label = ('compiled' if args.torch_compile else 'eager') + (
        ' autocast' if args.dtype == 'bfloat16' else '')
    print(f'PyTorch {label}: {torch_params / 1e6:.2f}M params, step {torch_step_s:.3f} s, '
          f'{args.batch / torch_step_s:.2f} img/s')
    print(f'ratio ours / PyTorch {label}: {torch_step_s / step_s:.2f}x')
  print(f'peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB')


if __name__ == '__main__':
  main()
