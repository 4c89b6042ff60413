"""The paper's segmentation study: 17 datasets, each a source and a small target, HRNetV2-W48.

Every segmentation dataset of the published table (README, "Studies")
trains once as a source from ILSVRC'12 weights, on its whole train split;
every one is also a target of TARGET_SIZE training images, fine-tuned from
each of the 16 other sources and, as the baseline, from ILSVRC'12 alone
(17 sources + 17 baselines + 272 transfers per seed). Every dataset is
defined as the paper's builders define it (factors_of_influence/fids): the
`*_foi` catalogue entries where that differs from the community's definition
(Cityscapes' 32 classes instead of 19 trainIds, background ignored in Pascal
VOC, ISPRS as one Potsdam -> Vaihingen dataset, ...; `python -m
transfer.data.catalog` lists both), the plain entries where it does not.

Needs every dataset prepared (python -m transfer.data.build NAME
--manual_dir=...) and converted ImageNet weights:

  python -m transfer.tools.convert_torch --arch hrnet_w48 --src hrnetv2_w48_imagenet.pth --out /tmp/w48
  python main.py --config=configs/study_foi_segmentation.py --workdir=ROOT \\
      --config.imagenet=/tmp/w48/checkpoints --cluster=slurm --gpus_per_node=1

`:smoke` runs 2 tiny steps per stage from scratch (tests, under mock data).
TARGET_SIZE = 1000 is our choice of a small target set, not a figure from
the paper. Expected figures: none measured (no data or accelerator here).
"""

from ml_collections import config_dict

from transfer import config_base as base

# The paper's own definitions (`*_foi`, see the catalogue); the other six
# datasets match the paper's builders as they are.
DATASETS = ('ade20k', 'bdd100k_segmentation', 'camvid', 'cityscapes_foi', 'coco_panoptic',
            'idd_foi', 'isaid_foi', 'isprs_foi', 'kitti_segmentation_foi', 'mapillary_vistas',
            'pascal_context_foi', 'pascal_voc_foi', 'scannet', 'suim_foi', 'sun_rgbd_foi',
            'vgallery_foi', 'virtual_kitti_2_foi')
TARGET_SIZE = 1000


def get_config(arg: str = ''):
  segmentation = lambda **kw: base.task('segmentation', **kw)
  sources, targets = {}, {}
  for name in DATASETS:
    sources[name] = base.source(name, segmentation(), steps=40_000, learning_rate=1e-3,
                                init_kind='ilsvrc')
    targets[name] = base.target(name, segmentation(), steps=8_000, learning_rate=1e-3,
                                train_sizes=(TARGET_SIZE,))
    for section in (sources[name], targets[name]):
      section.input.scale_range = (0.5, 2.0)
      section.eval_every = 2_000
  config = base.study('study_foi_segmentation', sources=sources, targets=targets,
                      baseline='ilsvrc')
  config.model.backbone = 'hrnet'
  # One converted ImageNet checkpoint for every source and the baselines.
  config.imagenet = config_dict.placeholder(str)
  for section in (config.baseline, *(s.init for s in config.sources.values())):
    section.checkpoint = config.get_ref('imagenet')
  return base.with_variant(config, arg, 'configs/study_foi_segmentation.py')
