"""ADE20K segmentation source -> NYU Depth v2 depth target (the design's example).

Needs both datasets prepared (see `python -c "import transfer_datasets.ade20k.ade20k"`
and the MANUAL_DOWNLOAD_INSTRUCTIONS of each builder, or README "Real datasets"):

  python main.py --config=configs/src_ade_tgt_nyu.py --workdir=/tmp/ade_nyu

Source and baseline start from scratch until converted ILSVRC'12 weights are
available (init.kind='ilsvrc' with init.checkpoint); the paper starts both
from ImageNet. Expected figures: none measured yet (no data on the dev
machines); the paper reports positive gains of ADE20K sources on NYU depth.
"""

from transfer import config_base as base


def get_config(arg: str = ''):
  size = (384, 384)
  source = base.stage('ade20k', base.task('segmentation'), steps=40_000, size=size,
                      batch_size=16, learning_rate=1e-3)
  target = base.stage('nyu_depth_v2', base.task('depth'), steps=8_000, size=size,
                      batch_size=16, learning_rate=1e-3,
                      init_config=base.init('transfer', source_stage='source'))
  baseline = base.stage('nyu_depth_v2', base.task('depth'), steps=8_000, size=size,
                        batch_size=16, learning_rate=1e-3)
  for stage in (source, target, baseline):
    stage.input.scale_range = (0.5, 2.0)
    stage.eval_every = 2_000
  config = base.experiment('src_ade_tgt_nyu', source, target, baseline)
  return base.with_variant(config, arg, 'configs/src_ade_tgt_nyu.py')
