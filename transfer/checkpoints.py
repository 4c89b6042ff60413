"""Orbax checkpoints of a stage, and strict transfer of named parameters.

A stage's checkpoints live in `<stage workdir>/checkpoints/<step>/`: `state`
holds {'step', 'params', 'batch_stats', 'opt_state'}, `meta` (JSON) the
input pipeline's position and a checksum of every array, checked on resume
(`restore_latest`).

Transfer (`restore_subset`): every parameter and batch statistic of the new
model must match a `reinit` regex (keeps its fresh initialisation; this wins
where both kinds match, so a reinit rule can carve an exception out of a
broad load rule) or a `load` regex (then the source must hold an array of
that name and shape). Anything else is an error listing the offending names.
Only the loaded arrays are read, straight into the target's shardings.
"""

import contextlib
import gc
import os
import re
import sys
import time

from absl import logging
from etils import epath
import jax
import jax.numpy as jnp
import orbax.checkpoint as ocp
from flax import traverse_util

from transfer import multihost
from transfer.errors import UserError

TRANSFERABLE = ('params', 'batch_stats')


def manager(directory: str, *, save_every: int = 1, keep: int = 1,
            read_only: bool = False) -> ocp.CheckpointManager:
  options = ocp.CheckpointManagerOptions(
      save_interval_steps=save_every, max_to_keep=keep, create=not read_only,
      read_only=read_only)
  path = epath.Path(os.path.abspath(directory) if multihost.is_local(directory) else directory)
  return ocp.CheckpointManager(path, options=options,
                               item_handlers={'state': ocp.PyTreeCheckpointHandler(),
                                              'meta': ocp.JsonCheckpointHandler()})


def _bits(x):
  """An array's bit patterns as uint32 (floats are reinterpreted, not cast)."""
  if x.dtype == jnp.bool_:
    return x.astype(jnp.uint32)
  unsigned = {1: jnp.uint8, 2: jnp.uint16, 4: jnp.uint32}[x.dtype.itemsize]
  return jax.lax.bitcast_convert_type(x, unsigned).astype(jnp.uint32)


@jax.jit
def _checksum_tree(tree):
  def checksum(x):
    bits = _bits(x).ravel()
    # Position weights: a moved or swapped value changes the sum too.
    weights = jnp.arange(1, bits.size + 1, dtype=jnp.uint32) * jnp.uint32(2654435761)
    return jnp.sum(bits * weights, dtype=jnp.uint32)
  return jax.tree.map(checksum, tree)


def checksums(state: dict) -> dict[str, int]:
  """A position-weighted sum of the bits of every array (mod 2**32), by name:
  the same on any device layout, and changed by any corrupted value."""
  return {_name(path): int(v)
          for path, v in jax.tree_util.tree_leaves_with_path(jax.device_get(_checksum_tree(state)))}


def _name(path) -> str:
  """'params/backbone/conv/kernel', as `_flat` names a nested dict's leaves."""
  return '/'.join(str(getattr(k, 'key', getattr(k, 'idx', getattr(k, 'name', k))))
                  for k in path)


def save(mngr, step: int, state: dict, meta: dict, force: bool = False) -> bool:
  """Saves `state` and the JSON-able `meta` (with the state's checksums) at
  `step`, if the manager's interval (or `force`) says so."""
  if not force and not mngr.should_save(step):
    return False
  meta = dict(meta, checksums=checksums(state))
  return mngr.save(step, args=ocp.args.Composite(state=ocp.args.PyTreeSave(state),
                                                 meta=ocp.args.JsonSave(meta)), force=force)


def restore(mngr, step: int, abstract_state: dict, partial: bool = False) -> dict:
  """Restores `abstract_state` (ShapeDtypeStructs with shardings) at `step`."""
  restore_args = ocp.checkpoint_utils.construct_restore_args(abstract_state)
  return mngr.restore(step, args=ocp.args.Composite(state=ocp.args.PyTreeRestore(
      item=abstract_state, restore_args=restore_args, partial_restore=partial)))['state']


def _layout(tree) -> dict:
  """{name: shape} of the arrays of a state (or of its stored metadata)."""
  return {_name(path): tuple(leaf.shape) for path, leaf in jax.tree_util.tree_leaves_with_path(
      tree, is_leaf=lambda x: hasattr(x, 'shape'))}


def _restore_checked(mngr, step: int, abstract_state: dict, where: str):
  """(state, meta) at `step`; raises UserError if another model wrote it,
  or ValueError naming what is corrupt."""
  try:
    stored = mngr.item_metadata(step)['state']
  except Exception as e:  # Orbax raises several types for unreadable metadata.
    raise ValueError(f'its metadata cannot be read ({type(e).__name__}: {e})') from e
  if stored is None:
    raise ValueError('it holds no state')
  expected, found = _layout(abstract_state), _layout(stored)
  if expected != found:
    differ = sorted(set(expected) ^ set(found)) or [
        f'{k}: {found[k]} (checkpoint) vs {expected[k]} (config)'
        for k in expected if expected[k] != found[k]]
    raise UserError(
        f'Cannot resume from {mngr.directory} (step {step}): it was written by a '
        f'different model or optimiser ({len(differ)} array(s) differ, e.g. '
        f'{"; ".join(map(str, differ[:3]))}).', where=f'{where} / --workdir',
        fix='use a new --workdir for a changed config (the old checkpoints are kept).')
  restore_args = ocp.checkpoint_utils.construct_restore_args(abstract_state)
  try:
    restored = mngr.restore(step, args=ocp.args.Composite(
        state=ocp.args.PyTreeRestore(item=abstract_state, restore_args=restore_args),
        meta=ocp.args.JsonRestore()))
  except Exception as e:  # pylint: disable=broad-except
    raise ValueError(f'it cannot be read ({type(e).__name__}: {str(e)[:300]})') from e
  state, meta = restored['state'], restored['meta']
  if not isinstance(meta, dict) or 'checksums' not in meta:
    raise ValueError('its metadata holds no checksums')
  bad = [k for k, v in checksums(state).items() if meta['checksums'].get(k) != v]
  if bad:
    raise ValueError(f'{len(bad)} array(s) do not match their checksums, e.g. {bad[0]}')
  return state, meta


@contextlib.contextmanager
def _quiet_abandoned_reads():
  """After a failed read Orbax leaves coroutines behind whose clean-up
  raises again; Python would print each as a traceback on stderr. Collect
  them here and log one line each instead (the failure itself is reported)."""
  hook = sys.unraisablehook
  sys.unraisablehook = lambda u: logging.info('Abandoned checkpoint read: %s', u.exc_value)
  try:
    yield
  finally:
    gc.collect()
    sys.unraisablehook = hook


def restore_latest(directory: str, abstract_state: dict, where: str):
  """The newest complete checkpoint in `directory` as (step, state, meta),
  or None if there is none (then the stage starts from its initialisation).

  A checkpoint that cannot be read or whose arrays do not match their
  checksums is reported, moved aside to `<directory>.corrupt/<step>` and
  skipped in favour of the one before (Orbax never lists a half-written
  one: it renames a step's folder into place once the step is complete).
  """
  if not multihost.from_zero(lambda: epath.Path(directory).is_dir()):
    return None
  mngr = manager(directory, read_only=True)
  steps = multihost.from_zero(lambda: sorted(mngr.all_steps(), reverse=True))
  problems = []
  for step in steps:
    problem = None
    try:
      with _quiet_abandoned_reads():
        state, meta = _restore_checked(mngr, step, abstract_state, where)
    except ValueError as e:
      problem = str(e)
    # Every process read its own shards: corrupt for one is corrupt for all.
    if not multihost.all_true(problem is None):
      problem = problem or 'another process could not read it'
      problems.append(f'step {step}: {problem}')
      logging.error('Checkpoint %s step %d is corrupt (%s): moved aside to %s.corrupt/ '
                    'and skipped.', directory, step, problem, directory)
      if multihost.is_zero():
        corrupt = epath.Path(f'{directory}.corrupt')
        corrupt.mkdir(parents=True, exist_ok=True)
        (epath.Path(directory) / str(step)).rename(corrupt / f'{step}-{int(time.time())}')
      multihost.barrier(f'corrupt checkpoint {directory} {step}')
      continue
    mngr.close()
    return step, state, meta
  mngr.close()
  if problems:
    logging.error('No complete checkpoint left in %s: the stage starts again from its '
                  'initialisation.', directory)
  return None


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
  if not epath.Path(directory).is_dir():
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
  damaged = lambda problem: UserError(
      f'The source checkpoint {directory} (step {step}) is damaged: {problem}.', where=where,
      fix='train the source stage again (delete its stage directory and rerun the study).')
  try:
    with _quiet_abandoned_reads():
      restored = _flat(restore(mngr, step, abstract, partial=True))
      stored_sums = mngr.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))[
          'meta'].get('checksums', {})
  except Exception as e:  # Orbax raises several types for unreadable files.
    raise damaged(f'it cannot be read ({type(e).__name__}: {str(e)[:200]})') from e
  mngr.close()
  bad = [k for k, v in checksums(traverse_util.unflatten_dict(
      {tuple(k.split('/')): v for k, v in restored.items()})).items()
         if stored_sums.get(k) != v]
  if bad:
    raise damaged(f'{len(bad)} array(s) do not match their checksums, e.g. {bad[0]}')
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
