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

Measured 2026-12-02 with the tf.data input pipeline that Grain replaced (not
re-run since) on a shared 2-core CPU (70 min 14 s wall, while other
test runs shared the machine; 51 stages each trained once): mean relative
gain over the 2 seeds [95% Student-t interval], n = train size:

  source -> target                        n=25                      n=100
  sunny seg -> foggy depth          +3.49% [-99.31, +106.30]   +10.79% [-22.43, +44.02]
  underwater depth -> foggy depth   +4.77% [-66.63, +76.18]     -9.81% [-10.29, -9.32]
  aerial det -> foggy depth         +0.25% [-95.78, +96.28]     -5.18% [-30.57, +20.22]
  sunny seg -> indoor seg           +1.76% [+1.55, +1.96]       +1.12% [-1.26, +3.50]
  underwater depth -> indoor seg    +0.36% [+0.29, +0.43]       +0.16% [-3.13, +3.45]
  aerial det -> indoor seg          +0.73% [-2.09, +3.55]       +0.39% [-2.49, +3.26]
  aerial det -> underwater kpt     +33.64% [-70.33, +137.60]   +27.27% [-8.97, +63.51]
  sunny seg -> underwater kpt       +4.64% [-12.73, +22.01]     +8.99% [-84.51, +102.48]
  underwater depth -> underwater kpt +4.75% [-29.23, +38.73]    +6.91% [-51.74, +65.57]

With two seeds the t interval is wide (t = 12.7 at one degree of freedom),
and most pairs are not distinguishable from no gain; more seeds, not more
pairs, are what these targets need (100 target steps is also short).
Train-step compiles: 9-12 s for each of the three sources and the first
stage of each target shape, 1.1-3.8 s (from the cache) for the other 45.
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
