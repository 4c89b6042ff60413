"""ADE20K segmentation source -> NYU Depth v2 depth target, HRNetV2-W48 (a 1 x 1 study).

The paper's protocol: the source and the baseline start from ILSVRC'12
weights; the target starts from the source's backbone with a fresh head,
and the baseline is the same target run from ILSVRC'12 alone. Crops are the
catalogue's (ADE20K 512x512, NYU 480x640).

Needs both datasets prepared and converted ImageNet weights (README, "Real
datasets" and "ImageNet initialisation"):

  python -m transfer.data.build ade20k --manual_dir=DOWNLOADS/ade20k
  python -m transfer.data.build nyu_depth_v2 --manual_dir=DOWNLOADS/nyu
  python -m transfer.tools.convert_torch --arch hrnet_w48 --src hrnetv2_w48_imagenet.pth --out /tmp/w48
  python main.py --config=configs/src_ade_tgt_nyu.py --workdir=/tmp/ade_nyu \\
      --config.sources.ade20k.init.checkpoint=/tmp/w48/checkpoints \\
      --config.baseline.checkpoint=/tmp/w48/checkpoints

`:smoke` runs 2 tiny steps per stage from scratch (tests, mock data).
Expected figures: none measured yet (no data or accelerator on the dev
machines); the paper reports gains of ADE20K sources on NYU depth.
"""

from transfer import config_base as base


def get_config(arg: str = ''):
  source = base.source('ade20k', base.task('segmentation'), steps=40_000, batch_size=16,
                       learning_rate=1e-3, init_kind='ilsvrc')
  target = base.target('nyu_depth_v2', base.task('depth'), steps=8_000, batch_size=16,
                       learning_rate=1e-3)
  for section in (source, target):
    section.input.scale_range = (0.5, 2.0)
    section.eval_every = 2_000
  config = base.study('src_ade_tgt_nyu', sources={'ade20k': source},
                      targets={'nyu_depth_v2': target}, baseline='ilsvrc')
  config.model.backbone = 'hrnet'
  return base.with_variant(config, arg, 'configs/src_ade_tgt_nyu.py')
