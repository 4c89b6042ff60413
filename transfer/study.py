"""A study config expanded into its graph of stages, each keyed by what produced it.

A stage's key is a hash of its resolved config (dataset, task, model, input,
optimiser, schedule, seed, train subset) together with what it starts from:
'scratch', the content fingerprint of an ImageNet checkpoint, or the source
stage's key. Settings that cannot change a result (logging, visualisation,
how many checkpoints are kept) are left out, so changing them reuses the
stage; any other change gives a new key, and so a new stage directory.
"""

import dataclasses
import hashlib
import json
import os
import re

import ml_collections

from transfer.errors import UserError

ROLES = ('source', 'baseline', 'target')
# Config keys left out of the key: they change neither the trained state nor its metrics
# (model.conv only the rounding); a source also transfers across them (stages.py).
NOT_IN_KEY = ('log_every', 'keep_checkpoints', 'visualize', 'init.checkpoint', 'model.conv')
KEY_LENGTH = 12


@dataclasses.dataclass(frozen=True)
class StagePlan:
  """One stage of a study: what to train, and where it stands in the graph."""
  key: str
  name: str      # readable prefix of its directory name: ROOT/stages/<name>-<key>
  role: str      # one of ROLES
  config: ml_collections.ConfigDict  # as trainer.train_and_evaluate takes it
  where: str     # the config section it comes from, for error messages
  origin: str    # 'scratch', 'imagenet:<fingerprint>' or the parent stage's key
  parent: str | None = None    # the source stage a transfer starts from
  baseline: str | None = None  # a transfer's baseline: same target, size and seed

  @property
  def dirname(self) -> str:
    return f'{self.name}-{self.key}'


def _canonical(config_dict: dict) -> dict:
  out = json.loads(json.dumps(config_dict, sort_keys=True))
  for dotted in NOT_IN_KEY:
    *parents, leaf = dotted.split('.')
    node = out
    for part in parents:
      node = node.get(part, {})
    node.pop(leaf, None)
  return out


def stage_key(config: ml_collections.ConfigDict, origin: str) -> str:
  """The hash of a resolved stage config and what it starts from."""
  text = json.dumps({'config': _canonical(config.to_dict()), 'origin': origin},
                    sort_keys=True)
  return hashlib.sha256(text.encode()).hexdigest()[:KEY_LENGTH]


_FINGERPRINTS: dict[tuple, str] = {}


def fingerprint(directory: str) -> str:
  """A content hash of every file of a checkpoint directory (cached per process)."""
  files = sorted(os.path.join(root, name) for root, _, names in os.walk(directory)
                 for name in names)
  stamp = (directory, tuple((f, os.path.getsize(f), os.path.getmtime(f)) for f in files))
  if stamp not in _FINGERPRINTS:
    digest = hashlib.sha256()
    for path in files:
      digest.update(os.path.relpath(path, directory).encode() + b'\0')
      with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
          digest.update(block)
    _FINGERPRINTS[stamp] = digest.hexdigest()[:KEY_LENGTH]
  return _FINGERPRINTS[stamp]


def _origin(init: ml_collections.ConfigDict, where: str) -> str:
  if init.kind == 'scratch':
    return 'scratch'
  if init.kind == 'ilsvrc':
    convert = ('convert ImageNet weights once with `python -m transfer.tools.convert_torch '
               '--arch hrnet_w48 --src FILE --out DIR` and set it to DIR/checkpoints')
    if not init.checkpoint:
      raise UserError('init.kind=ilsvrc needs a converted ImageNet checkpoint.',
                      where=f'{where}.checkpoint', fix=convert + '.')
    if not os.path.isdir(init.checkpoint):
      raise UserError(f'Checkpoint directory {init.checkpoint} does not exist.',
                      where=f'{where}.checkpoint', fix=convert + '.')
    return f'imagenet:{fingerprint(init.checkpoint)}'
  raise UserError(f'Unknown init.kind {init.kind!r} here.', where=f'{where}.kind',
                  fix="use 'scratch' or 'ilsvrc' (transfers are set up by the study).")


def _readable(*parts) -> str:
  return '-'.join(re.sub(r'[^A-Za-z0-9_.]+', '_', str(p)) for p in parts if p != '')


def _resolve(section, model, init, seed: int, train_examples) -> ml_collections.ConfigDict:
  config = section.copy_and_resolve_references()
  config.unlock()
  if 'train_sizes' in config:
    del config['train_sizes']
  config.model = model.copy_and_resolve_references()
  config.init = init.copy_and_resolve_references()
  config.train_examples = train_examples
  config.train_subset_seed = 0
  config.seed = seed
  return config


def _as_tuple(value) -> tuple:
  """A config value that may be one item or a tuple of them, as a tuple."""
  return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _check_int(value, where: str, minimum: int, what: str):
  if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
    raise UserError(f'{what} must be an integer >= {minimum}, got {value!r}.', where=where,
                    fix=f'set {where} to an integer >= {minimum}.')


def pairs(config) -> list[tuple[str, str]]:
  """The (source name, target name) pairs that transfer, in config order.

  'all', 'same_task' and 'cross_task' leave out a source and a target of the
  same dataset and task unless `config.self_transfer`; listed pairs are
  taken as given.
  """
  task = lambda section: section.task.name
  same = lambda s, t: (config.sources[s].dataset == config.targets[t].dataset
                       and task(config.sources[s]) == task(config.targets[t]))
  every = [(s, t) for t in config.targets for s in config.sources
           if config.self_transfer or not same(s, t)]
  if config.pairs == 'all':
    return every
  if config.pairs in ('same_task', 'cross_task'):
    same = config.pairs == 'same_task'
    return [(s, t) for s, t in every
            if (task(config.sources[s]) == task(config.targets[t])) == same]
  chosen = []
  for pair in config.pairs.split(','):
    source, _, target = str(pair).partition(':')
    if source not in config.sources or target not in config.targets:
      raise UserError(
          f'Pair {pair!r} does not name a source and a target of this study.',
          where='config.pairs',
          fix=f"use 'all', 'same_task', 'cross_task' or 'SOURCE:TARGET,...' with "
          f'sources {list(config.sources)} and targets {list(config.targets)}.')
    chosen.append((source, target))
  return chosen


def _validate(config):
  for section in ('sources', 'targets'):
    if not config[section]:
      raise UserError(f'The study has no {section}.', where=f'config.{section}',
                      fix=f'define at least one entry in config.{section}.')
  seeds = _as_tuple(config.seeds)
  if not seeds or len(set(seeds)) != len(seeds):
    raise UserError(f'config.seeds must list distinct seeds, got {config.seeds!r}.',
                    where='config.seeds', fix='e.g. --config.seeds="(0, 1, 2)".')
  for seed in seeds:
    _check_int(seed, 'config.seeds', 0, 'A seed')
  for kind, entries in (('sources', config.sources), ('targets', config.targets)):
    for name, section in entries.items():
      _check_int(section.steps, f'config.{kind}.{name}.steps', 0, 'steps')
  for name, section in config.targets.items():
    sizes = _as_tuple(section.train_sizes)
    if not sizes:
      raise UserError('A target needs at least one train size.',
                      where=f'config.targets.{name}.train_sizes',
                      fix='list example counts, e.g. (25, 100); None = the whole split.')
    for size in sizes:
      if size is not None:
        _check_int(size, f'config.targets.{name}.train_sizes', 1, 'A train size')
  return seeds


def expand(config) -> list[StagePlan]:
  """Every stage of the study, parents before children, each key once:
  the sources and targets of `pairs(config)`, a baseline per target x train
  size x seed, and a transfer per pair x train size x seed."""
  seeds = _validate(config)
  plans: dict[str, StagePlan] = {}

  def add(plan):
    plans.setdefault(plan.key, plan)
    return plans[plan.key]

  chosen = pairs(config)
  used_sources, used_targets = {s for s, _ in chosen}, {t for _, t in chosen}
  sources = {}
  for name, section in config.sources.items():
    if name not in used_sources:
      continue
    where = f'config.sources.{name}'
    origin = _origin(section.init, f'{where}.init')
    for seed in seeds if config.source_per_seed else seeds[:1]:
      stage_config = _resolve(section, config.model, section.init, seed, None)
      key = stage_key(stage_config, origin)
      sources[name, seed] = add(StagePlan(
          key, _readable(section.dataset, section.task.name, f's{seed}', section.init.kind),
          'source', stage_config, where, origin))

  baseline_origin = _origin(config.baseline, 'config.baseline')
  transfer_init = ml_collections.ConfigDict(dict(kind='transfer', checkpoint=None,
                                                 **config.transfer.to_dict()))
  baselines, transfers = [], []
  for target_name, section in config.targets.items():
    if target_name not in used_targets:
      continue
    where = f'config.targets.{target_name}'
    for size in _as_tuple(section.train_sizes):
      count = f'n{size}' if size is not None else ''
      for seed in seeds:
        stage_config = _resolve(section, config.model, config.baseline, seed, size)
        baseline = StagePlan(
            stage_key(stage_config, baseline_origin),
            _readable(section.dataset, section.task.name, count, f's{seed}',
                      config.baseline.kind),
            'baseline', stage_config, where, baseline_origin)
        baselines.append(baseline)
        for source_name, paired_target in chosen:
          if paired_target != target_name:
            continue
          source = sources[source_name, seed if config.source_per_seed else seeds[0]]
          stage_config = _resolve(section, config.model, transfer_init, seed, size)
          src = source.config
          transfers.append(StagePlan(
              stage_key(stage_config, source.key),
              _readable(section.dataset, section.task.name, count, f's{seed}', 'from',
                        src.dataset, src.task.name),
              'target', stage_config, where, source.key, parent=source.key,
              baseline=baseline.key))
  for plan in baselines + transfers:
    add(plan)
  return list(plans.values())
