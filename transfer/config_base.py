"""Shared building blocks for experiment configs (configs/*.py build on these).

An experiment config has three stages, each a full training run:
  source:   a dataset and task, initialised as its `init` says;
  target:   the target dataset and task, initialised by transfer from the
            source stage's checkpoint (backbone loaded, head re-initialised);
  baseline: the same target with the baseline initialisation.
`experiment.run` trains them in order and compares target with baseline.
"""

import ml_collections
from ml_collections import config_dict

BACKBONE_RULES = ('params/backbone/.*', 'batch_stats/backbone/.*')
HEAD_RULES = ('params/head/.*', 'batch_stats/head/.*')


def task(name: str, **overrides) -> ml_collections.ConfigDict:
  """Task plug-in settings; keys beyond `name` are task-specific."""
  defaults = {'segmentation': {}, 'depth': {'loss': 'l1_log'},
              'detection': {'max_detections': 100, 'size_weight': 1.0,
                            'visualize_threshold': 0.3},
              'keypoints': {'max_instances': 20, 'peak_threshold': 0.1,
                            'regression_weight': 1.0, 'visualize_threshold': 0.3}}
  return ml_collections.ConfigDict(
      {'name': name, 'head_features': 64, **defaults.get(name, {}), **overrides})


def init(kind: str = 'scratch', source_stage: str | None = None) -> ml_collections.ConfigDict:
  """How a stage starts when its workdir has no checkpoint yet.

  kind: 'scratch' | 'transfer' (from `source_stage`'s checkpoint, or from
  `checkpoint` if set) | 'ilsvrc' (from a converted ImageNet checkpoint at
  `checkpoint`). `load` regexes name the arrays to copy, `reinit` those that
  keep their fresh initialisation; every array must match one of them.
  """
  return ml_collections.ConfigDict(dict(
      kind=kind,
      source_stage=config_dict.placeholder(str) if source_stage is None else source_stage,
      checkpoint=config_dict.placeholder(str),
      load=BACKBONE_RULES, reinit=HEAD_RULES))


def stage(dataset: str, task_config: ml_collections.ConfigDict, *, steps: int,
          size=None, batch_size: int = 16, learning_rate: float = 2e-3,
          train_examples: int | None = None, init_config=None) -> ml_collections.ConfigDict:
  """One training run: dataset, task, model, input, optimiser and schedule."""
  return ml_collections.ConfigDict(dict(
      dataset=dataset,
      task=task_config,
      init=init_config or init(),
      # Train on a fixed-seed subset of N examples of the train split (the
      # paper's small target sets); the same N examples on every machine and
      # process count, and a larger N only adds examples. None = all.
      train_examples=config_dict.placeholder(int) if train_examples is None else train_examples,
      train_subset_seed=0,
      # `backbone` names a module of transfer/models; its settings are the
      # section of that name (--config.source.model.backbone=hrnet
      # --config.source.model.hrnet.width=18). dtype: computation in
      # 'float32' or 'bfloat16' (parameters stay float32).
      model=dict(backbone='convnet', dtype='float32',
                 convnet=dict(width=32, blocks_per_stage=(1, 1, 1, 1)),
                 hrnet=dict(width=48),
                 resnet=dict(depth=50, width=64, output_features=256)),
      # size: training crop (height, width); None = the dataset's crop size
      # from the catalogue, rounded up to a multiple of 32 (backbone stride).
      # eval_size: evaluation resize; None = size.
      input=dict(size=config_dict.placeholder(tuple) if size is None else size, eval_size=config_dict.placeholder(tuple), batch_size=batch_size,
                 eval_batch_size=32, scale_range=(0.75, 1.5),
                 # Objects per example after padding; more are dropped.
                 max_objects=32,
                 # Photometric jitter strength in [0, 1] (0 = off).
                 color_jitter=0.0),
      # Prediction-vs-ground-truth panels at each evaluation: TensorBoard
      # images, and PNGs in DIR/<stage>/visualizations/ when png=True.
      visualize=dict(num_images=4, png=False),
      optimizer=dict(name='adamw', learning_rate=learning_rate, warmup_steps=min(100, steps // 10),
                     weight_decay=1e-4, end_learning_rate_factor=0.01, clip_norm=1.0,
                     momentum=0.9),
      # Regex rules giving parameters a PartitionSpec; unmatched = replicated.
      sharding_rules=(),
      steps=steps, log_every=max(1, min(50, steps // 10)),
      eval_every=steps, checkpoint_every=max(1, steps // 4), keep_checkpoints=2,
      seed=0))


def experiment(name: str, source, target, baseline) -> ml_collections.ConfigDict:
  config = ml_collections.ConfigDict()
  config.name = name
  config.data_dir = config_dict.placeholder(str)  # TFDS data dir; None = TFDS default.
  config.stages = ('source', 'target', 'baseline')
  # One model section for all stages (shared, not copied): the target needs
  # the source's backbone and the baseline must match it for a fair
  # comparison, so `--config.source.model.backbone=hrnet` changes all three.
  target.model = baseline.model = source.model
  config.source = source
  config.target = target
  config.baseline = baseline
  config.compare = dict(baseline='baseline', transfer='target', source='source')
  return config


def with_variant(config: ml_collections.ConfigDict, arg: str, path: str):
  """Applies the variant after the colon in `--config=path:arg` ('' or 'smoke')."""
  if arg == 'smoke':
    return smoke(config)
  if arg:
    raise ValueError(f'unknown variant {arg!r} of {path} (use "" or "smoke")')
  return config


def smoke(config: ml_collections.ConfigDict, steps: int = 2) -> ml_collections.ConfigDict:
  """Shrinks every stage of an experiment to a couple of tiny steps.

  The wiring is what a smoke run checks (datasets, tasks, stages, transfer),
  so stages that start from ILSVRC'12 weights start from scratch (no
  converted checkpoint needed) and an HRNet becomes the small convnet: a
  full HRNet train step takes minutes to compile on a CPU, and the HRNet
  has its own tests (tests/test_hrnet.py).
  """
  for name in config.stages:
    s = config[name]
    if s.init.kind == 'ilsvrc':
      s.init.kind = 'scratch'
    if s.model.backbone == 'hrnet':
      s.model.backbone = 'convnet'
    s.steps, s.log_every, s.eval_every, s.checkpoint_every = steps, 1, steps, steps
    s.input.batch_size, s.input.eval_batch_size = 8, 8
    s.input.size = (64, 64)
    s.model.convnet.width, s.model.hrnet.width = 8, 4
    s.model.resnet.update(depth=18, width=8, output_features=16)
    s.task.head_features = 8
    s.visualize.num_images = 2
  return config
