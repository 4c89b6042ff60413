"""Orbax checkpoints of a stage, and strict transfer of named parameters.

A stage's checkpoints live in `<stage workdir>/checkpoints/<step>/state`,
holding {'step', 'params', 'batch_stats', 'opt_state'}.

Transfer (`restore_subset`): every parameter and batch statistic of the new
model must match a `reinit` regex (keeps its fresh initialisation; this wins
where both kinds match, so a reinit rule can carve an exception out of a
broad load rule) or a `load` regex (then the source must hold an array of
that name and shape). Anything else is an error listing the offending names.
Only the loaded arrays are read, straight into the target's shardings.
"""

import os
import re

from absl import logging
import jax
import orbax.checkpoint as ocp
from flax import traverse_util

from transfer.errors import UserError

TRANSFERABLE = ('params', 'batch_stats')


def manager(directory: str, *, save_every: int = 1, keep: int = 1,
            read_only: bool = False) -> ocp.CheckpointManager:
  options = ocp.CheckpointManagerOptions(
      save_interval_steps=save_every, max_to_keep=keep, create=not read_only,
      read_only=read_only)
  return ocp.CheckpointManager(os.path.abspath(directory), options=options,
                               item_handlers={'state': ocp.PyTreeCheckpointHandler()})


def save(mngr, step: int, state: dict, force: bool = False) -> bool:
  return mngr.save(step, args=ocp.args.Composite(state=ocp.args.PyTreeSave(state)),
                   force=force)


def restore(mngr, step: int, abstract_state: dict, partial: bool = False) -> dict:
  """Restores `abstract_state` (ShapeDtypeStructs with shardings) at `step`."""
  restore_args = ocp.checkpoint_utils.construct_restore_args(abstract_state)
  return mngr.restore(step, args=ocp.args.Composite(state=ocp.args.PyTreeRestore(
      item=abstract_state, restore_args=restore_args, partial_restore=partial)))['state']


def _flat(tree) -> dict:
  return traverse_util.flatten_dict(tree, sep='/') if tree else {}


def restore_subset(directory: str, state: dict, load: tuple[str, ...],
                   reinit: tuple[str, ...], where: str) -> tuple[dict, dict]:
  """Returns `state` with the `load`-matched arrays read from `directory`.

  `state` is the freshly initialised target state (global arrays); the
  second value reports names and shapes of what was loaded, re-initialised
  and skipped from the source.
  """
  fix_source = ('run the source stage first (or point init.checkpoint at a '
                'stage workdir that holds checkpoints/).')
  if not os.path.isdir(directory):
    raise UserError(f'Source checkpoint directory {directory} does not exist.',
                    where=where, fix=fix_source)
  mngr = manager(directory, read_only=True)
  step = mngr.latest_step()
  if step is None:
    raise UserError(f'No checkpoint found in {directory}.', where=where, fix=fix_source)
  try:
    source_meta = mngr.item_metadata(step)['state']
    source = _flat({k: source_meta[k] for k in TRANSFERABLE if k in source_meta})
  except Exception as e:  # Orbax raises several types for unreadable metadata.
    raise UserError(f'Cannot read the checkpoint at {directory} step {step}: {e}',
                    where=where, fix='point init.checkpoint at a checkpoint '
                    'directory written by this project.') from e

  target = _flat({k: state[k] for k in TRANSFERABLE})
  load_res = [re.compile(r) for r in load]
  reinit_res = [re.compile(r) for r in reinit]
  loaded, fresh, missing, mismatched, uncovered = {}, {}, [], [], []
  for name, array in target.items():
    if any(r.fullmatch(name) for r in reinit_res):
      fresh[name] = array
    elif any(r.fullmatch(name) for r in load_res):
      if name not in source:
        missing.append(name)
      elif tuple(source[name].shape) != tuple(array.shape):
        mismatched.append(f'{name}: source {tuple(source[name].shape)}, '
                          f'target {tuple(array.shape)}')
      else:
        loaded[name] = array
    else:
      uncovered.append(name)
  def listed(names):
    more = f' ... ({len(names) - 20} more)' if len(names) > 20 else ''
    return '; '.join(names[:20]) + more

  problems = []
  if missing:
    problems.append(f'{len(missing)} array(s) to load are not in the source: '
                    + listed(missing))
  if mismatched:
    problems.append(f'{len(mismatched)} shape mismatch(es): ' + listed(mismatched))
  if uncovered:
    problems.append(f'{len(uncovered)} array(s) match no load or reinit rule: '
                    + listed(uncovered))
  if problems:
    raise UserError(
        f'Transfer from {directory} (step {step}) does not fit the target model:\n  '
        + '\n  '.join(problems), where=where,
        fix='make the source and target backbones identical, or adjust '
        'init.load / init.reinit regexes so every name is covered.')

  abstract = traverse_util.unflatten_dict(
      {tuple(k.split('/')): jax.ShapeDtypeStruct(v.shape, v.dtype, sharding=v.sharding)
       for k, v in loaded.items()})
  restored = _flat(restore(mngr, step, abstract, partial=True))
  mngr.close()
  merged = dict(target, **restored)
  new_state = dict(state, **traverse_util.unflatten_dict(
      {tuple(k.split('/')): v for k, v in merged.items()}))
  report = {
      'source': f'{directory} step {step}',
      'loaded': {k: tuple(v.shape) for k, v in loaded.items()},
      'reinitialised': {k: tuple(v.shape) for k, v in fresh.items()},
      'skipped_from_source': {k: tuple(v.shape) for k, v in source.items()
                              if k not in loaded},
  }
  for kind in ('loaded', 'reinitialised', 'skipped_from_source'):
    logging.info('transfer: %s %d arrays', kind, len(report[kind]))
    for name, shape in report[kind].items():
      logging.info('transfer:   %-12s %s %s', kind, name, shape)
  return new_state, report
