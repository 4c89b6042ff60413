"""Runs an experiment's stages in order and writes `results.json`.

Workdir layout:
  DIR/<stage>/checkpoints/   Orbax checkpoints (resumed when run again)
  DIR/<stage>/events.out.*   TensorBoard summaries
  DIR/<stage>/result.json    the stage's final metrics (written when done)
  DIR/config.json            the experiment config as run
  DIR/results.json           baseline vs transfer comparison
Stages with a result.json are skipped, so the same command resumes a job.
"""

import json
import math
import os

from absl import logging
import jax

from transfer import trainer
from transfer.data import pipeline
from transfer.errors import UserError


def write_json_atomic(path: str, data) -> None:
  """Writes JSON to a temporary file, then renames it over `path`."""
  if jax.process_index() != 0:
    return
  tmp = f'{path}.tmp'
  with open(tmp, 'w') as f:
    json.dump(data, f, indent=2, sort_keys=True)
  os.replace(tmp, path)


def _stage_configs(config):
  """Validates the experiment's stages and fills in derived values."""
  stages = {}
  for name in config.stages:
    if name not in config:
      raise UserError(f'Stage {name!r} is listed in config.stages but not defined.',
                      where='config.stages', fix=f'define config.{name} or drop it.')
    stages[name] = config[name]
  for name, key in config.compare.items():
    if key not in stages:
      raise UserError(f'config.compare.{name} names stage {key!r}, which is not run.',
                      where=f'config.compare.{name}', fix=f'use one of {list(stages)}.')
  return stages


def preflight(config, workdir):
  """Checks names, then checkpoints, then datasets, before any training.

  The cheap checks come first, so a typo never waits for data generation.
  """
  stages = _stage_configs(config)
  built = {name: trainer.build_stage(stage_config, f'config.{name}')
           for name, stage_config in stages.items()}
  for name, stage_config in stages.items():
    where = f'config.{name}'
    init = stage_config.init
    convert = ('convert ImageNet weights once with `python -m transfer.tools.convert_torch '
               '--arch hrnet_w48 --src FILE --out DIR` and set init.checkpoint=DIR/checkpoints')
    if init.kind == 'ilsvrc' and not init.checkpoint:
      raise UserError('init.kind=ilsvrc needs a converted ImageNet checkpoint.',
                      where=f'{where}.init.checkpoint', fix=convert + '.')
    if init.checkpoint and not os.path.isdir(init.checkpoint):
      raise UserError(f'Checkpoint directory {init.checkpoint} does not exist.',
                      where=f'{where}.init.checkpoint',
                      fix=(convert if init.kind == 'ilsvrc' else
                           'point it at the checkpoints/ folder of a finished stage') + '.')
    if init.kind == 'transfer' and not init.checkpoint:
      order = list(stages)
      if init.source_stage not in stages or order.index(init.source_stage) >= order.index(name):
        raise UserError(
            f'Stage {name!r} transfers from stage {init.source_stage!r}, which does '
            'not run before it.', where=f'{where}.init.source_stage',
            fix=f'name an earlier stage ({order[:order.index(name)]}) or set init.checkpoint.')
      init.checkpoint = os.path.join(workdir, init.source_stage, 'checkpoints')
  for name, stage in built.items():
    info = stage.dataset
    pipeline.load_builder(info, config.data_dir, (info.train_split, info.eval_split),
                          where=f'config.{name}.dataset')
  return built


def _describe(stage):
  return {'dataset': stage.dataset.name, 'domain': stage.dataset.domain,
          'task': stage.config.task.name}


def run(config, workdir: str) -> dict:
  """Trains every unfinished stage, then writes and returns DIR/results.json."""
  config = config.copy_and_resolve_references()
  built = preflight(config, workdir)
  os.makedirs(workdir, exist_ok=True)
  write_json_atomic(os.path.join(workdir, 'config.json'), config.to_dict())
  stage_results = {}
  for name, stage in built.items():
    stage_dir = os.path.join(workdir, name)
    result_path = os.path.join(stage_dir, 'result.json')
    if os.path.exists(result_path):
      with open(result_path) as f:
        stage_results[name] = json.load(f)
      logging.info('Stage %s already finished: %s', name, stage_results[name]['metrics'])
      continue
    logging.info('Stage %s: %s on %s (init: %s)', name, stage.config.task.name,
                 stage.dataset.name, stage.config.init.kind)
    os.makedirs(stage_dir, exist_ok=True)
    result = trainer.train_and_evaluate(stage.config, stage_dir, where=f'config.{name}',
                                        data_dir=config.data_dir)
    result = {'metrics': result['metrics'],
              'transfer': {k: (v if isinstance(v, str) else len(v))
                           for k, v in result['transfer'].items()}}
    write_json_atomic(result_path, result)
    stage_results[name] = result

  baseline, transfer = built[config.compare.baseline], built[config.compare.transfer]
  task = transfer.task
  metric = task.metric
  base_value = stage_results[config.compare.baseline]['metrics'][metric]
  transfer_value = stage_results[config.compare.transfer]['metrics'][metric]
  results = {
      'experiment': config.name,
      'source': _describe(built[config.compare.source]),
      'target': _describe(transfer),
      'baseline_init': baseline.config.init.kind,
      'metric': metric,
      'higher_is_better': task.higher_is_better,
      'baseline': base_value,
      'transfer': transfer_value,
      **gains(transfer_value, base_value, task.higher_is_better),
      'stages': {k: v['metrics'] for k, v in stage_results.items()},
  }
  write_json_atomic(os.path.join(workdir, 'results.json'), results)
  return results


def gains(transfer: float, baseline: float, higher_is_better: bool) -> dict:
  """How much better the transfer is than the baseline (positive = better).

  `absolute_gain` is the metric difference, `relative_gain` that difference
  over |baseline|; either is None where it is undefined (a relative gain over
  a zero baseline, or a metric that is not finite), never NaN.
  """
  sign = 1.0 if higher_is_better else -1.0
  finite = math.isfinite(transfer) and math.isfinite(baseline)
  absolute = sign * (transfer - baseline) if finite else None
  relative = absolute / abs(baseline) if finite and baseline != 0 else None
  return {'absolute_gain': absolute, 'relative_gain': relative}


def _why_undefined(results: dict) -> str:
  if results['absolute_gain'] is None:
    return 'undefined (a metric is not finite)'
  return 'undefined (baseline is 0)'


def format_table(results: dict) -> str:
  src, tgt = results['source'], results['target']
  arrow = 'higher' if results['higher_is_better'] else 'lower'
  absolute, relative = results['absolute_gain'], results['relative_gain']
  rows = [
      f"source  {src['dataset']} ({src['domain']}, {src['task']})",
      f"target  {tgt['dataset']} ({tgt['domain']}, {tgt['task']})",
      f"metric  {results['metric']} ({arrow} is better)",
      f"{'baseline (' + results['baseline_init'] + ')':<24}{results['baseline']:>10.4f}",
      f"{'transfer':<24}{results['transfer']:>10.4f}",
      f"{'relative gain':<24}" + (f'{relative:>+10.2%}' if relative is not None
                                  else _why_undefined(results)),
  ]
  if relative is None and absolute is not None:
    rows.append(f"{'absolute gain':<24}{absolute:>+10.4f}")
  return '\n'.join(rows)
