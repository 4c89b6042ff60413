"""Train-step cost of the ImageNet backbones with a segmentation head.

For each model: compile time, median step time, images/s, XLA's planned peak
memory of the step (arguments + outputs + temporaries) and the process's
peak RSS, and the step's FLOPs (XLA cost analysis) per second next to this
machine's measured float32 matmul FLOP/s. Defaults: HRNet-W48 at 512x512,
batch 2 (the paper's backbone), and ResNet-50 (FPN) at the same size.

  python bench/bench_backbones.py [--size 512] [--batch 2] [--steps 3] [--dtype float32]

Measured 2026-11-26 (`--steps 2`, shared 2-core CPU, one run):
  cpu; float32 matmul 2048^3: 183.2 GFLOP/s; 512x512, batch 2, float32
  model       params M compile s  step s  img/s planned GiB GFLOP/step  GFLOP/s of matmul
  hrnet_w48      65.75     101.8   35.41   0.06        5.48     1168.3     33.0       18%
  resnet50       27.01      14.7    7.67   0.26        2.72      518.6     67.6       37%
  peak RSS of this process: 8.69 GiB
(params include the 150-class segmentation head and, for ResNet, the FPN.)
"""

import argparse
import functools
import resource
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

from transfer import config_base, optim, trainer

MODELS = {'hrnet_w48': ('hrnet', {'width': 48}), 'resnet50': ('resnet', {'depth': 50})}


def matmul_flops_per_second(n: int = 2048, repeats: int = 5) -> float:
  a = jnp.ones((n, n), jnp.float32)
  dot = jax.jit(jnp.dot)
  dot(a, a).block_until_ready()
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    dot(a, a).block_until_ready()
    times.append(time.perf_counter() - start)
  return 2 * n**3 / min(times)


def bench(name, size, batch, steps, dtype):
  backbone, settings = MODELS[name]
  config = config_base.stage('ade20k', config_base.task('segmentation'), steps=100,
                             size=(size, size), batch_size=batch)
  config.model.backbone, config.model.dtype = backbone, dtype
  config.model[backbone].update(settings)
  stage = trainer.build_stage(config)
  tx, _ = optim.make_optimizer(config.optimizer, config.steps, 'bench')
  state = jax.jit(functools.partial(trainer.init_state, stage, tx, batch_size=1))(
      jax.random.key(0))
  rng = np.random.default_rng(0)
  data = {'image': jnp.asarray(rng.integers(0, 255, (batch, size, size, 3)), jnp.uint8),
          'segmentation': jnp.asarray(rng.integers(0, 150, (batch, size, size, 1)), jnp.int32)}
  step = jax.jit(functools.partial(trainer.train_step, stage=stage, tx=tx), donate_argnums=0)
  start = time.perf_counter()
  compiled = step.lower(state, data).compile()
  compile_s = time.perf_counter() - start
  cost = compiled.cost_analysis()
  cost = cost[0] if isinstance(cost, (list, tuple)) else cost
  memory = compiled.memory_analysis()
  planned = (memory.argument_size_in_bytes + memory.output_size_in_bytes
             + memory.temp_size_in_bytes)
  state, *_ = compiled(state, data)  # Warm-up.
  jax.block_until_ready(state)
  times = []
  for _ in range(steps):
    start = time.perf_counter()
    state, *_ = compiled(state, data)
    jax.block_until_ready(state)
    times.append(time.perf_counter() - start)
  params = sum(x.size for x in jax.tree.leaves(state['params']))
  step_s = statistics.median(times)
  return {'model': name, 'params_m': params / 1e6, 'compile_s': compile_s, 'step_s': step_s,
          'images_per_s': batch / step_s, 'planned_gib': planned / 2**30,
          'flops_g': cost.get('flops', float('nan')) / 1e9,
          'flops_per_s_g': cost.get('flops', float('nan')) / step_s / 1e9}


def main():
  parser = argparse.ArgumentParser(description=__doc__)
  parser.add_argument('--size', type=int, default=512)
  parser.add_argument('--batch', type=int, default=2)
  parser.add_argument('--steps', type=int, default=3)
  parser.add_argument('--dtype', default='float32', choices=('float32', 'bfloat16'))
  parser.add_argument('--models', default=','.join(MODELS))
  args = parser.parse_args()
  peak = matmul_flops_per_second() / 1e9
  print(f'{jax.devices()[0].device_kind}; float32 matmul 2048^3: {peak:.1f} GFLOP/s; '
        f'{args.size}x{args.size}, batch {args.batch}, {args.dtype}')
  print(f'{"model":<11}{"params M":>9}{"compile s":>10}{"step s":>8}{"img/s":>7}'
        f'{"planned GiB":>12}{"GFLOP/step":>11}{"GFLOP/s":>9}{"of matmul":>10}')
  for name in args.models.split(','):
    r = bench(name, args.size, args.batch, args.steps, args.dtype)
    print(f'{r["model"]:<11}{r["params_m"]:>9.2f}{r["compile_s"]:>10.1f}{r["step_s"]:>8.2f}'
          f'{r["images_per_s"]:>7.2f}{r["planned_gib"]:>12.2f}{r["flops_g"]:>11.1f}'
          f'{r["flops_per_s_g"]:>9.1f}{r["flops_per_s_g"] / peak:>10.0%}', flush=True)
  print(f'peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB')


if __name__ == '__main__':
  main()
