"""The paper's findings in miniature: a reduced transfer matrix on the synthetic scenes.

Four targets, one per task type, each in its own domain, on 20 and on 200
training images, over 3 seeds, from scratch (the baseline) and from sources
chosen so that every factor the findings name varies:

  target            in-domain source   cross-domain source   other sources
  street_seg        seg_street         seg_underwater        seg_mix (broad), depth_street (cross-task)
  indoor_depth      depth_indoor       depth_street          det_indoor (cross-task)
  aerial_det        det_aerial         det_indoor            kpt_aerial (cross-task)
  closeup_kpt       kpt_closeup        kpt_aerial            seg_mix (broad, cross-task)

An in-domain source is another draw of the target's domain (scene seed 1:
other images, same distribution); seg_mix mixes all seven domain families
in equal parts (it includes the target's; 2000 images in all, like the
narrow sources). Every task type is a source and a
target of a cross-task pair. 9 sources + 24 baselines + 78 transfers = 111
stages, 10 datasets rendered on first use. No download; ends with the
analysis (ROOT/analysis/report.html) and prints its factor table.

  python main.py --config=configs/study_findings.py --workdir=/tmp/findings
  python main.py --config=configs/study_findings.py:smoke --workdir=/tmp/findings_smoke

Measured 2026-12-02 with the Grain input pipeline on this shared 2-core
CPU from an empty data dir: 1 h 15 min wall at low priority beside test
runs and the demo (55 min 30 s alone with the tf.data pipeline before).
Mean relative gain over the baseline [95% t-intervals in the README; 3
seeds], n = 20 / 200 target images:

  target        in-domain source            cross-domain source          other
  street seg    +3.50% / +2.94%             +0.73% / +0.34%              mix +1.18% / +0.56%; depth +1.47% / +0.85%
  indoor depth  +15.67% / +19.45%           +0.04% / +1.32%              det +6.41% / +7.42%
  aerial det    +19.09% / +25.05%           +9.82% / +11.64%             kpt +19.52% / +22.40%
  closeup kpt   +39.21% / +16.35%           +18.57% / +10.56%            mix seg +8.60% / +5.85%

The README ("Findings in miniature") reads these against the paper's findings.
"""

from transfer import config_base as base

SEEDS = (0, 1, 2)
TRAIN_SIZES = (20, 200)
SOURCE_STEPS, TARGET_STEPS = 300, 100
# The paper's seven domain families (datasets/synthetic/render.py).
MIX = ('synthetic_mix?seed=1&weights=consumer:1,street:1,aerial:1,underwater:1,indoor:1,'
       'flat:1,closeup:1')
# The smoke variant renders tiny datasets (the same names with these options).
SMOKE_SIZES = 'train=24&validation=8'

SOURCES = {  # name: (dataset, task)
    'seg_street': ('synthetic_street?seed=1', 'segmentation'),
    'seg_underwater': ('synthetic_underwater?seed=1', 'segmentation'),
    'seg_mix': (MIX, 'segmentation'),
    'depth_street': ('synthetic_street?seed=1', 'depth'),
    'depth_indoor': ('synthetic_indoor?seed=1', 'depth'),
    'det_indoor': ('synthetic_indoor?seed=1', 'detection'),
    'det_aerial': ('synthetic_aerial?seed=1', 'detection'),
    'kpt_aerial': ('synthetic_aerial?seed=1', 'keypoints'),
    'kpt_closeup': ('synthetic_closeup?seed=1', 'keypoints'),
}
TARGETS = {  # name: (dataset, task, sources)
    'street_seg': ('synthetic_street', 'segmentation',
                   ('seg_street', 'seg_underwater', 'seg_mix', 'depth_street')),
    'indoor_depth': ('synthetic_indoor', 'depth', ('depth_indoor', 'depth_street', 'det_indoor')),
    'aerial_det': ('synthetic_aerial', 'detection', ('det_aerial', 'det_indoor', 'kpt_aerial')),
    'closeup_kpt': ('synthetic_closeup', 'keypoints', ('kpt_closeup', 'kpt_aerial', 'seg_mix')),
}


def get_config(arg: str = ''):
  config = base.study(
      'study_findings',
      sources={name: base.source(dataset, base.task(task), steps=SOURCE_STEPS)
               for name, (dataset, task) in SOURCES.items()},
      targets={name: base.target(dataset, base.task(task), steps=TARGET_STEPS,
                                 train_sizes=TRAIN_SIZES, batch_size=8)
               for name, (dataset, task, _) in TARGETS.items()},
      seeds=SEEDS)
  config.pairs = ','.join(f'{source}:{target}' for target, (_, _, sources) in TARGETS.items()
                          for source in sources)
  config = base.with_variant(config, arg, 'configs/study_findings.py')
  if arg == 'smoke':
    for section in (*config.sources.values(), *config.targets.values()):
      section.dataset += ('&' if '?' in section.dataset else '?') + SMOKE_SIZES
  return config
