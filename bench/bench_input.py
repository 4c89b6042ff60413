"""Input throughput against the train step's consumption, side by side in one run.

  python bench/bench_input.py [--config=configs/demo.py] [--data_dir=DIR] [--batches=30]

For every distinct stage of the study config (dataset, task, input), the
same process measures (1) the input pipeline alone: global batches per
second from `pipeline.train_batches` (Grain threads: decode, augment, batch),
after a warm-up batch; (2) the jitted train step alone on one fixed batch of
the same shape (compiled first). It prints both as images/s and their ratio:
above 1 the input keeps up with training, the target is 3x.
"""

import argparse
import functools
import importlib.util
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # pylint: disable=g-import-not-at-top,wrong-import-position

from transfer import optim, study, trainer  # pylint: disable=g-import-not-at-top,wrong-import-position
from transfer.data import pipeline  # pylint: disable=g-import-not-at-top,wrong-import-position


def _load(path):
  """configs/<file>.py[:variant], as main.py's --config flag loads it."""
  path, _, arg = path.partition(':')
  spec = importlib.util.spec_from_file_location('bench_config', path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(arg)


def measure(stage_config, data_dir, batches: int) -> dict:
  stage = trainer.build_stage(stage_config, 'bench', 'config.model')
  info = stage.dataset
  builder = pipeline.load_builder(info, data_dir, (info.train_split, info.eval_split), 'bench')
  config = stage_config.copy_and_resolve_references()
  config.steps = batches + 1
  source = pipeline.train_batches(builder, info, stage.task.fields, config)
  batch = next(source)  # Warm-up: threads started, first examples decoded.
  tick = time.perf_counter()
  for _ in range(batches):
    next(source)
  input_seconds = (time.perf_counter() - tick) / batches
  source.close()

  tx, _ = optim.make_optimizer(config.optimizer, config.steps, 'bench')
  state = trainer.init_state(stage, tx, jax.random.key(0), batch_size=1)
  step = jax.jit(functools.partial(trainer.train_step, stage=stage, tx=tx), donate_argnums=0)
  state = jax.block_until_ready(step(state, batch)[0])  # Compile.
  tick = time.perf_counter()
  repeats = max(3, batches // 5)
  for _ in range(repeats):
    state = step(state, batch)[0]
  jax.block_until_ready(state)
  step_seconds = (time.perf_counter() - tick) / repeats
  size = config.input.batch_size
  return {'stage': f'{info.name} {stage_config.task.name} {pipeline.input_size(config.input, info)}'
                   f' batch {size}',
          'input': size / input_seconds, 'step': size / step_seconds}


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--config', default='configs/demo.py')
  parser.add_argument('--data_dir', default=None)
  parser.add_argument('--batches', type=int, default=30)
  args = parser.parse_args()
  seen, rows = set(), []
  for plan in study.expand(_load(args.config)):
    c = plan.config
    key = (c.dataset, c.task.name, str(c.input), str(c.model))
    if key not in seen:
      seen.add(key)
      rows.append(measure(c, args.data_dir, args.batches))
  print(f'{jax.device_count()} {jax.devices()[0].platform} device(s), '
        f'{os.cpu_count()} CPU(s), threads per pipeline: {c.input.threads}')
  print(f'{"stage":<60} {"input img/s":>12} {"step img/s":>11} {"ratio":>6}')
  for row in rows:
    print(f'{row["stage"]:<60} {row["input"]:>12.1f} {row["step"]:>11.1f} '
          f'{row["input"] / row["step"]:>5.1f}x')


if __name__ == '__main__':
  main()
