"""The embedded demo: segmentation on sunny synthetic scenes -> depth on foggy ones.

Source: semantic segmentation on `synthetic_sunny` (2000 rendered images).
Target: depth estimation on 25 images of `synthetic_foggy`, initialised from
the source backbone with a fresh depth head. Baseline: the same target from
scratch. No download: the synthetic data is rendered on first use.

  python main.py --config=configs/demo.py --workdir=/tmp/demo
  python main.py --config=configs/demo.py:smoke --workdir=/tmp/demo_smoke  # seconds

Expected (2-core CPU, about N minutes): see README "The demo".
"""

from transfer import config_base as base


def get_config(arg: str = ''):
  source = base.stage('synthetic_sunny', base.task('segmentation'), steps=700)
  target = base.stage('synthetic_foggy', base.task('depth'), steps=250, train_examples=25,
                      init_config=base.init('transfer', source_stage='source'))
  baseline = base.stage('synthetic_foggy', base.task('depth'), steps=250, train_examples=25)
  config = base.experiment('demo', source, target, baseline)
  return base.with_variant(config, arg, 'configs/demo.py')
