"""A 3 x 3 study on the synthetic scenes: three domains and task types as sources and as targets.

Sources (whole train split, 2000 images each), trained once:
  sunny_seg     segmentation on synthetic_sunny
  underwater_depth  depth on synthetic_underwater
  aerial_det    detection on synthetic_aerial
Targets, each on 25 and on 100 training images, from scratch (baseline) and
from every source (cross-task pairs included), over 2 seeds:
  foggy_depth   depth on synthetic_foggy
  indoor_seg    segmentation on synthetic_indoor
  underwater_kpt keypoints on synthetic_underwater
That is 3 sources + 12 baselines + 36 transfers = 51 stages. No download.

  python main.py --config=configs/study_synthetic.py --workdir=/tmp/study
  python main.py --config=configs/study_synthetic.py:smoke --workdir=/tmp/study_smoke

FIGURES (filled in from the closing run).
"""

from transfer import config_base as base


def get_config(arg: str = ''):
  source = lambda domain, task: base.source(f'synthetic_{domain}', base.task(task), steps=400)
  target = lambda domain, task: base.target(f'synthetic_{domain}', base.task(task), steps=100,
                                            train_sizes=(25, 100))
  config = base.study(
      'study_synthetic',
      sources={'sunny_seg': source('sunny', 'segmentation'),
               'underwater_depth': source('underwater', 'depth'),
               'aerial_det': source('aerial', 'detection')},
      targets={'foggy_depth': target('foggy', 'depth'),
               'indoor_seg': target('indoor', 'segmentation'),
               'underwater_kpt': target('underwater', 'keypoints')},
      seeds=(0, 1))
  return base.with_variant(config, arg, 'configs/study_synthetic.py')
