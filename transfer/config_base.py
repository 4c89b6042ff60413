"""Shared building blocks for study configs (configs/*.py build on these).

A study lists sources and targets, and expands (transfer/study.py) into a
graph of stages, each one full training run:
  source:   a source dataset and task, trained once (per seed if
            `source_per_seed`), initialised as its own `init` says;
  baseline: a target dataset and task on `train_sizes` examples, initialised
            as `config.baseline` says (scratch or ILSVRC'12), per seed;
  transfer: the same target initialised from a source stage's backbone with a
            fresh head, per source x target x train size x seed.
The demo and the single-pair configs are 1 x 1 studies.

Every default lives here once; the trainer and the task plug-ins read the
keys without defaults of their own.
"""

import ml_collections
from ml_collections import config_dict

BACKBONE_RULES = ('params/backbone/.*', 'batch_stats/backbone/.*')
HEAD_RULES = ('params/head/.*', 'batch_stats/head/.*')
TASK_DEFAULTS = {
    'segmentation': {},
    'depth': {'loss': 'l1_log'},
    'detection': {'max_detections': 100, 'size_weight': 1.0, 'visualize_threshold': 0.3},
    'keypoints': {'max_instances': 20, 'peak_threshold': 0.1, 'regression_weight': 1.0,
                  'visualize_threshold': 0.3},
}


def task(name: str, **overrides) -> ml_collections.ConfigDict:
  """Task plug-in settings; keys beyond `name` are task-specific."""
  return ml_collections.ConfigDict(
      {'name': name, 'head_features': 64, **TASK_DEFAULTS.get(name, {}), **overrides})


def init(kind: str = 'scratch') -> ml_collections.ConfigDict:
  """How a stage starts when its stage directory has no checkpoint yet.

  kind: 'scratch' | 'ilsvrc' (from a converted ImageNet checkpoint at
  `checkpoint`) | 'transfer' (from a source stage's checkpoint; a study sets
  `checkpoint`). `load` regexes name the arrays to copy, `reinit` those that
  keep their fresh initialisation; every array must match one of them.
  """
  return ml_collections.ConfigDict(dict(
      kind=kind, checkpoint=config_dict.placeholder(str),
      load=BACKBONE_RULES, reinit=HEAD_RULES))


def model() -> ml_collections.ConfigDict:
  """The backbone: `backbone` names a module of transfer/models, whose settings
  are the section of that name (--config.model.backbone=hrnet
  --config.model.hrnet.width=18). dtype: computation in 'float32' or
  'bfloat16' (parameters stay float32). conv: 'matmul' computes 1x1
  convolutions and their gradients as matrix multiplications
  (transfer/models/conv.py, faster on XLA:CPU), 'lax' leaves them to XLA."""
  return ml_collections.ConfigDict(dict(
      backbone='convnet', dtype='float32', conv='matmul',
      convnet=dict(width=32, blocks_per_stage=(1, 1, 1, 1)),
      hrnet=dict(width=48),
      resnet=dict(depth=50, width=64, output_features=256)))


def training(dataset: str, task_config: ml_collections.ConfigDict, *, steps: int,
             size=None, batch_size: int = 16,
             learning_rate: float = 2e-3) -> ml_collections.ConfigDict:
  """What a stage trains on and how: dataset, task, input, optimiser, schedule."""
  return ml_collections.ConfigDict(dict(
      dataset=dataset,
      task=task_config,
      # size: training crop (height, width); None = the dataset's crop size
      # from the catalogue, rounded up to a multiple of 32 (backbone stride).
      # eval_size: evaluation resize; None = size.
      input=dict(size=config_dict.placeholder(tuple) if size is None else size,
                 eval_size=config_dict.placeholder(tuple), batch_size=batch_size,
                 eval_batch_size=32, scale_range=(0.75, 1.5),
                 # Objects per example after padding; more are dropped.
                 max_objects=32,
                 # Photometric jitter strength in [0, 1] (0 = off).
                 color_jitter=0.0,
                 # Crops hold a whole object where one fits (object tasks).
                 crop_keeps_object=True,
                 # Grain: threads reading and augmenting examples, and how
                 # many examples they may run ahead of the loop.
                 threads=4, prefetch=64),
      # Prediction-vs-ground-truth panels at each evaluation: TensorBoard
      # images, and PNGs in <stage dir>/visualizations/ when png=True.
      visualize=dict(num_images=4, png=False),
      optimizer=dict(name='adamw', learning_rate=learning_rate,
                     warmup_steps=min(100, steps // 10), weight_decay=1e-4,
                     end_learning_rate_factor=0.01, clip_norm=1.0, momentum=0.9),
      sharding=dict(
          # 'data_parallel': parameters and optimiser state replicated on
          # every device; 'fsdp': every array of at least fsdp_min_size
          # elements split over the data axis (its largest dimension that
          # the axis divides).
          strategy='data_parallel', fsdp_min_size=2**16,
          # Devices on the 'model' axis of a 2-D (data, model) mesh; 1 = data only.
          model_axis=1,
          # (regex, PartitionSpec tuple) rules on names such as
          # 'params/backbone/stem/kernel' or 'opt_state/1/0/mu/...': the first
          # match decides, before the strategy. Axes: 'data', 'model'.
          rules=()),
      # True: a step with a non-finite loss or gradient norm leaves the
      # parameters as they were (counted in train/skipped_steps); False:
      # it stops the stage with an error.
      skip_nonfinite=False,
      steps=steps, log_every=max(1, min(50, steps // 10)),
      eval_every=steps, checkpoint_every=max(1, steps // 4), keep_checkpoints=2))


def stage(dataset: str, task_config: ml_collections.ConfigDict, *, steps: int,
          train_examples: int | None = None, init_config=None, seed: int = 0,
          **kwargs) -> ml_collections.ConfigDict:
  """One stage's full config, as `trainer.train_and_evaluate` takes it."""
  config = training(dataset, task_config, steps=steps, **kwargs)
  config.model = model()
  config.init = init_config or init()
  # Train on a fixed-seed subset of N examples of the train split (the
  # paper's small target sets); the same N examples on every machine and
  # process count, and a larger N only adds examples. None = all.
  config.train_examples = config_dict.placeholder(int) if train_examples is None else train_examples
  config.train_subset_seed = 0
  config.seed = seed  # Initialisation and data order.
  return config


def source(dataset: str, task_config, *, steps: int, init_kind: str = 'scratch',
           **kwargs) -> ml_collections.ConfigDict:
  """A study's source: trained on its whole train split."""
  config = training(dataset, task_config, steps=steps, **kwargs)
  config.init = init(init_kind)
  return config


def target(dataset: str, task_config, *, steps: int, train_sizes=(None,),
           **kwargs) -> ml_collections.ConfigDict:
  """A study's target: one baseline and one transfer per train size (an
  example count; None = the whole train split) and seed."""
  config = training(dataset, task_config, steps=steps, **kwargs)
  config.train_sizes = tuple(train_sizes)
  return config


def study(name: str, *, sources: dict, targets: dict, seeds=(0,),
          baseline: str = 'scratch') -> ml_collections.ConfigDict:
  config = ml_collections.ConfigDict()
  config.name = name
  config.data_dir = config_dict.placeholder(str)  # TFDS data dir; None = TFDS default.
  # One model for every stage: a transfer needs its source's backbone, and
  # its baseline must match it for a fair comparison.
  config.model = model()
  config.sources = sources
  config.targets = targets
  config.seeds = tuple(seeds)
  # False: each source is trained once (first seed) and every seed's
  # transfers start from it; True: one source per seed.
  config.source_per_seed = False
  # Which (source, target) pairs transfer: 'all', 'same_task' (source and
  # target task types equal), 'cross_task' (different), or
  # 'source:target,source:target' (names of config.sources and config.targets).
  config.pairs = 'all'
  # Whether those pair a source with a target of the same dataset and task.
  config.self_transfer = False
  config.baseline = init(baseline)  # The targets' initialisation to compare with.
  config.transfer = dict(load=BACKBONE_RULES, reinit=HEAD_RULES)
  # A persistent XLA compilation cache in ROOT/cache/xla: stages with the
  # same shapes (seeds, train sizes, same-task targets) compile once.
  config.compilation_cache = True
  # Analyse results.csv when the study ends: ROOT/analysis holds the tables,
  # figures and report.html, and the factor table is printed.
  config.analysis = True
  # Transferability scores of every (source, target training set) pair of the
  # transfers, in results.csv as score_<metric> columns beside the gains:
  # metric names of transfer.rank_sources.METRICS, ('all',), or () for none.
  config.transferability = dict(metrics=(), pixels_per_image=1000, class_balanced=True,
                                seed=0)
  return config


def with_variant(config: ml_collections.ConfigDict, arg: str, path: str):
  """Applies the variant after the colon in `--config=path:arg` ('' or 'smoke')."""
  if arg == 'smoke':
    return smoke(config)
  if arg:
    raise ValueError(f'unknown variant {arg!r} of {path}: use --config={path} or '
                     f'--config={path}:smoke (tiny models, two steps per stage)')
  return config


def smoke(config: ml_collections.ConfigDict, steps: int = 2) -> ml_collections.ConfigDict:
  """Shrinks every stage of a study to a couple of tiny steps.

  The wiring is what a smoke run checks (datasets, tasks, stages, transfer),
  so stages that start from ILSVRC'12 weights start from scratch (no
  converted checkpoint needed) and an HRNet becomes the small convnet: a
  full HRNet train step takes minutes to compile on a CPU, and the HRNet
  has its own tests (tests/test_hrnet.py).
  """
  for section in (config.baseline, *(s.init for s in config.sources.values())):
    if section.kind == 'ilsvrc':
      section.kind = 'scratch'
  if config.model.backbone == 'hrnet':
    config.model.backbone = 'convnet'
  config.model.convnet.width, config.model.hrnet.width = 8, 4
  config.model.resnet.update(depth=18, width=8, output_features=16)
  for s in (*config.sources.values(), *config.targets.values()):
    s.steps, s.log_every, s.eval_every, s.checkpoint_every = steps, 1, steps, steps
    s.input.batch_size, s.input.eval_batch_size = 8, 8
    s.input.size = (64, 64)
    s.task.head_features = 8
    s.visualize.num_images = 2
  return config
