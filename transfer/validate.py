"""A study config's values checked at the boundary (`runner.plan`), before anything runs.

Each source and target section is held to the keys of `config_base.source` /
`config_base.target` (a key misspelt in a config file is otherwise never
read), the model section to those of `config_base.model`, and the values to
RULES. Names (dataset, task, backbone) are checked by `trainer.build_stage`,
a task the dataset lacks by `tasks.get_task`, and seeds, steps and train
sizes by `study.expand`.
"""

import math

import ml_collections

from transfer import config_base, sharding, transferability
from transfer.errors import UserError


def _integer_at_least(minimum: int):
  return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= minimum


def _number(v) -> bool:
  return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _pair(v) -> bool:
  return isinstance(v, (tuple, list)) and len(v) == 2


_POSITIVE = (_integer_at_least(1), 'an integer >= 1')
_SIZE = (lambda v: v is None or (_pair(v) and all(map(_integer_at_least(1), v))),
         'None or (height, width), two integers >= 1')

# (key of a source or target section, test of its value, what it must be).
RULES = (
    ('input.batch_size', *_POSITIVE),
    ('input.eval_batch_size', *_POSITIVE),
    ('input.size', *_SIZE),
    ('input.eval_size', *_SIZE),
    ('input.scale_range', lambda v: _pair(v) and all(map(_number, v)) and 0 < v[0] <= v[1],
     '(low, high), two numbers with 0 < low <= high'),
    ('input.max_objects', *_POSITIVE),
    ('input.color_jitter', lambda v: _number(v) and 0 <= v <= 1, 'a number in [0, 1]'),
    ('optimizer.learning_rate', lambda v: _number(v) and v > 0, 'a finite number > 0'),
    ('optimizer.warmup_steps', _integer_at_least(0), 'an integer >= 0'),
    ('log_every', *_POSITIVE),
    ('eval_every', *_POSITIVE),
    ('checkpoint_every', *_POSITIVE),
    ('keep_checkpoints', *_POSITIVE),
    ('sharding.strategy', lambda v: v in sharding.STRATEGIES,
     ' or '.join(map(repr, sharding.STRATEGIES))),
    ('sharding.fsdp_min_size', _integer_at_least(0), 'an integer >= 0 (elements)'),
    ('sharding.model_axis', *_POSITIVE),
)


def _check_transferability(section) -> None:
  where = 'config.transferability'
  _known_keys(section, config_base.study('', sources={}, targets={}).transferability, where)
  metrics = section.metrics
  if not (isinstance(metrics, (tuple, list)) and (
      tuple(metrics) == ('all',) or set(metrics) <= set(transferability.METRICS))):
    raise UserError(f'transferability.metrics must name metrics of {transferability.METRICS}, '
                    f"('all',) or (), got {metrics!r}.", where=f'{where}.metrics',
                    fix=f"e.g. --{where}.metrics=\"('logme','leep')\" or \"('all',)\".")
  if not _integer_at_least(1)(section.pixels_per_image):
    raise UserError(f'transferability.pixels_per_image must be an integer >= 1, got '
                    f'{section.pixels_per_image!r}.', where=f'{where}.pixels_per_image',
                    fix='set it to the grid cells sampled per image (1000 in the literature).')


def check(config) -> None:
  """Raises UserError naming the first config key that breaks a rule."""
  _check_transferability(config.transferability)
  templates = {
      'sources': config_base.source('', config_base.task(''), steps=1),
      'targets': config_base.target('', config_base.task(''), steps=1),
  }
  _known_keys(config.model, config_base.model(), 'config.model')
  for kind, template in templates.items():
    for name, section in config[kind].items():
      where = f'config.{kind}.{name}'
      _known_keys(section, template, where)
      for key, test, must in RULES:
        if key == 'eval_every' and section.steps == 0:
          continue  # It only evaluates; config_base sets eval_every = steps.
        value = section
        for part in key.split('.'):
          value = value[part]
        if not test(value):
          got = f'{value!r} (a string)' if isinstance(value, str) else repr(value)
          raise UserError(
              f'{key} must be {must}, got {got}.', where=f'{where}.{key}',
              fix=f'set it to {must}, in the config file or with --{where}.{key}=VALUE.')


def _known_keys(section, template, where: str) -> None:
  """`section` has the keys of `template`, recursively (a task's settings
  are its plug-in's, so they are not compared)."""
  for key, value in section.items():
    if key not in template:
      raise UserError(
          f'Unknown config key {key!r}: nothing reads it.', where=f'{where}.{key}',
          fix=f'use one of {", ".join(sorted(template))} (a misspelt key?), or remove it.')
    if key != 'task' and all(isinstance(v, ml_collections.ConfigDict)
                             for v in (value, template[key])):
      _known_keys(value, template[key], f'{where}.{key}')
  missing = sorted(set(template) - set(section))
  if missing:
    raise UserError(f'Config key(s) {", ".join(missing)} missing.', where=where,
                    fix='build sources and targets with config_base.source and '
                    'config_base.target, which set every key.')
