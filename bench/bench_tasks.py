"""Each task type trained briefly on synthetic scenes, against the same model untrained.

For every task: one stage on `synthetic_sunny` evaluated at initialisation
(`steps=0`) and after `--steps` steps, side by side, with the wall time of the
trained run. Usage (about 10 minutes on 2 CPU cores):

  python bench/bench_tasks.py [--steps 400] [--tasks segmentation,depth,detection,keypoints]

Measured 2026-11-26 (400 steps, shared 2-core CPU; metric untrained -> trained):
segmentation mIoU 0.0087 -> 0.9706, depth AbsRel 0.7387 -> 0.0716, detection
COCO AP 0.0000 -> 0.5233 (AP50 0.844), keypoints OKS AP 0.0000 -> 0.3117
(AP50 0.599).
"""

import argparse
import json
import os
import tempfile
import time

from absl import logging

from transfer import config_base, trainer


def main():
  parser = argparse.ArgumentParser(description=__doc__)
  parser.add_argument('--steps', type=int, default=400)
  parser.add_argument('--tasks', default='segmentation,depth,detection,keypoints')
  parser.add_argument('--dataset', default='synthetic_sunny')
  parser.add_argument('--data_dir', default=None, help='TFDS data dir (default: TFDS default).')
  args = parser.parse_args()
  logging.set_verbosity(logging.WARNING)
  rows = []
  with tempfile.TemporaryDirectory() as tmp:
    for name in args.tasks.split(','):
      results = {}
      for steps in (0, args.steps):
        config = config_base.stage(args.dataset, config_base.task(name), steps=steps)
        config.visualize.num_images = 0
        start = time.perf_counter()
        out = trainer.train_and_evaluate(config, os.path.join(tmp, f'{name}_{steps}'),
                                         data_dir=args.data_dir)
        results[steps] = (out['metrics'], time.perf_counter() - start)
      task = trainer.build_stage(config).task
      rows.append((name, task.metric, results[0][0], results[args.steps][0],
                   results[args.steps][1]))
      print(json.dumps({'task': name, 'untrained': results[0][0],
                        'trained': results[args.steps][0]}), flush=True)
  print(f'\n{"task":<14}{"metric":<8}{"untrained":>10}{"trained":>10}{"time (s)":>10}')
  for name, metric, untrained, trained, seconds in rows:
    print(f'{name:<14}{metric:<8}{untrained[metric]:>10.4f}{trained[metric]:>10.4f}'
          f'{seconds:>10.0f}')


if __name__ == '__main__':
  main()
