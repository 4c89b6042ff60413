"""Any task type -> any task type on the synthetic scenes (a 1 x 1 study, no download).

Source: SOURCE_TASK on `synthetic_sunny` (2000 images). Target: TARGET_TASK
on 25 images of `synthetic_foggy`, initialised from the source backbone with a
fresh head. Baseline: the same target from scratch. Tasks: segmentation,
depth, detection, keypoints.

  python main.py --config=configs/synthetic_cross_task.py:detection,keypoints --workdir=/tmp/det_kpt
  python main.py --config=configs/synthetic_cross_task.py:keypoints,depth,smoke --workdir=/tmp/s

The default (no argument) is detection -> keypoints. Measured 2026-11-26 (with
the tf.data input pipeline that Grain replaced; not re-run since) on a
shared 2-core CPU (9 min 41 s): source COCO AP 0.586; target OKS AP 0.2891
with transfer against 0.2337 from scratch, a relative gain of +23.7% (single
seed). bench/bench_tasks.py compares each task with an untrained model.
"""

from transfer import config_base as base
from transfer import tasks


def _parse(arg: str):
  parts = [p for p in arg.split(',') if p]
  variant = 'smoke' if parts and parts[-1] == 'smoke' else ''
  names = parts[:-1] if variant else parts
  names = names or ['detection', 'keypoints']
  if len(names) != 2 or any(n not in tasks.task_names() for n in names):
    raise ValueError(f'configs/synthetic_cross_task.py takes "SOURCE,TARGET[,smoke]" '
                     f'with tasks from {tasks.task_names()}, got {arg!r}')
  return names, variant


def get_config(arg: str = ''):
  (source_task, target_task), variant = _parse(arg)
  config = base.study(
      f'synthetic_{source_task}_to_{target_task}',
      sources={'sunny': base.source('synthetic_sunny', base.task(source_task), steps=700)},
      targets={'foggy': base.target('synthetic_foggy', base.task(target_task), steps=250,
                                    train_sizes=(25,))})
  return base.with_variant(config, variant, 'configs/synthetic_cross_task.py')
