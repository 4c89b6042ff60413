"""Stages as artefacts: ROOT/stages/<name>-<key>/, described by manifest.json.

A stage directory holds the stage's checkpoints/, TensorBoard events and
`manifest.json`, which is only ever replaced whole (written to a temporary
file, then renamed): its config, role, parent key, dataset, domain and task,
`state` ('running', 'finished', 'failed' or 'preempted'), `attempts`, final metrics,
timing and the code version. Only a 'finished' manifest counts as a result.

Training a stage holds an exclusive lock on its `.lock` file (flock: the
kernel releases it when the process dies, so a stage left 'running' by a
killed runner is taken over by the next one, and resumes from its last
checkpoint). Two runners on one ROOT therefore never train one stage twice.
A ROOT on a cloud file system (gs://...; all I/O here goes through
etils.epath) has no flock: there, one runner per stage at a time (the
SLURM path gives each stage to one array task).

In a multi-process job process 0 holds the lock, reads the manifests and
decides; the other processes follow (multihost.from_zero) and write nothing.
"""

import contextlib
import fcntl
import functools
import json
import os
import socket
import subprocess
import time

from absl import logging
from etils import epath

from transfer import errors, multihost, study, trainer
from transfer.data import catalog
from transfer.errors import UserError

MANIFEST = 'manifest.json'
LOCK = '.lock'


def directory(root: str, plan) -> str:
  return str(epath.Path(root) / 'stages' / plan.dirname)


def read_manifest(stage_dir: str) -> dict | None:
  try:
    return json.loads((epath.Path(stage_dir) / MANIFEST).read_text())
  except FileNotFoundError:
    return None


def is_finished(manifest: dict | None) -> bool:
  return bool(manifest) and manifest['state'] == 'finished'


def write_atomic(path: str, text: str) -> None:
  """Process 0 writes `text` to a temporary file beside `path`, then renames
  it over `path`: readers see the old file or the new one, never half."""
  if not multihost.is_zero():
    return
  tmp = epath.Path(f'{path}.{os.getpid()}.tmp')
  tmp.write_text(text)
  tmp.replace(path)


def write_json_atomic(path: str, data) -> None:
  write_atomic(path, json.dumps(data, indent=2, sort_keys=True, allow_nan=False))


@contextlib.contextmanager
def _flock(stage_dir: str):
  """Yields True when this process holds the stage's lock, False when another
  does (always True on a file system without flock)."""
  epath.Path(stage_dir).mkdir(parents=True, exist_ok=True)
  if not multihost.is_local(stage_dir):
    yield True
    return
  with open(os.path.join(stage_dir, LOCK), 'a') as f:
    try:
      fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      yield False
      return
    try:
      yield True
    finally:
      fcntl.flock(f, fcntl.LOCK_UN)


@contextlib.contextmanager
def lock(stage_dir: str):
  """Yields, on every process, whether this job holds the stage's lock
  (process 0 takes it)."""
  with contextlib.ExitStack() as stack:
    yield multihost.from_zero(lambda: stack.enter_context(_flock(stage_dir)))


def is_locked(stage_dir: str) -> bool:
  """Whether another runner holds the stage's lock (read on this process)."""
  if not multihost.is_local(stage_dir) or not os.path.isdir(stage_dir):
    return False
  with _flock(stage_dir) as held:
    return not held


@functools.cache
def code_version() -> str:
  """The git commit of this checkout (with '+dirty' for local changes), else
  the installed package version."""
  here = os.path.dirname(os.path.abspath(__file__))
  try:
    git = lambda *args: subprocess.run(['git', '-C', here, *args], capture_output=True,
                                       text=True, check=True, timeout=10).stdout.strip()
    commit = git('rev-parse', 'HEAD')
    dirty = git('status', '--porcelain', '--untracked-files=no')
    return commit + ('+dirty' if dirty else '')
  except (OSError, subprocess.SubprocessError):
    from importlib import metadata  # pylint: disable=g-import-not-at-top
    return f'transfer {metadata.version("transfer")}'


def describe(plan) -> dict:
  """The manifest fields that follow from the plan alone."""
  dataset = catalog.get(plan.config.dataset, where=f'{plan.where}.dataset')
  return {'key': plan.key, 'name': plan.name, 'role': plan.role, 'origin': plan.origin,
          'parent': plan.parent, 'baseline': plan.baseline, 'dataset': dataset.name,
          'domain': dataset.domain, 'task': plan.config.task.name,
          'train_examples': plan.config.train_examples, 'seed': plan.config.seed,
          'steps': plan.config.steps, 'config': plan.config.to_dict()}


def _checked_parent(plan, parent_dir: str) -> str:
  """The checkpoint directory of a transfer's finished, compatible source."""
  parent = read_manifest(parent_dir)
  fix = 'run the study (or the source stage\'s command) so that the source finishes first.'
  if not is_finished(parent):
    state = parent['state'] if parent else 'not started'
    raise UserError(f'Source stage {plan.parent} is {state}, not finished.',
                    where=f'{plan.where} (stage {plan.dirname})', fix=fix)
  def architecture(model: dict) -> dict:  # Without what the stage key leaves out.
    return {k: v for k, v in json.loads(json.dumps(model)).items()
            if f'model.{k}' not in study.NOT_IN_KEY}
  model, trained = architecture(plan.config.model.to_dict()), architecture(parent['config']['model'])
  if trained != model:
    raise UserError(
        f'Source stage {parent_dir} was trained with model {trained}, '
        f'not this stage\'s {model}.', where='config.model',
        fix='transfer from a source trained with the same model (a changed model gives '
        'a new source key, so rerunning the study trains it).')
  return str(epath.Path(parent_dir) / 'checkpoints')


def train(plan, root: str, data_dir: str | None, parent=None) -> dict | None:
  """Trains `plan` unless it is finished; returns its manifest, or None when
  another runner holds its lock. Resumes from the stage's checkpoints.
  `parent` is the plan of a transfer's source stage."""
  stage_dir = directory(root, plan)
  with lock(stage_dir) as held:
    if not held:
      return None
    manifest = multihost.from_zero(read_manifest, stage_dir)
    if is_finished(manifest):  # Finished by another runner since we looked.
      return manifest
    if manifest and manifest['state'] == 'running':
      logging.warning('Stage %s was left running by process %s on %s, which is gone: '
                      'taking it over (it resumes from its last checkpoint).',
                      plan.dirname, manifest['pid'], manifest['host'])
    config = plan.config.copy_and_resolve_references()
    if plan.parent:
      config.init.checkpoint = multihost.from_zero(_checked_parent, plan,
                                                   directory(root, parent))
    manifest = dict(describe(plan), state='running',
                    attempts=(manifest or {}).get('attempts', 0) + 1,
                    host=socket.gethostname(), pid=os.getpid(), code_version=code_version(),
                    started=time.strftime('%Y-%m-%dT%H:%M:%S%z'))
    path = str(epath.Path(stage_dir) / MANIFEST)
    write_json_atomic(path, manifest)
    logging.info('Stage %s (%s): %s on %s, from %s.', plan.dirname, plan.role,
                 config.task.name, config.dataset, plan.origin)
    start = time.perf_counter()
    try:
      result = trainer.train_and_evaluate(config, stage_dir, where=plan.where,
                                          data_dir=data_dir, model_where='config.model')
    except BaseException as e:
      state = 'preempted' if isinstance(e, errors.Preempted) else 'failed'
      write_json_atomic(path, dict(manifest, state=state, error=str(e) or type(e).__name__))
      raise
    manifest.update(
        state='finished', metrics=result['metrics'], metric=result['metric'],
        higher_is_better=result['higher_is_better'],
        train_examples_used=result['train_examples_used'],
        wall_seconds=time.perf_counter() - start, **result['timing'],
        transfer={k: v if isinstance(v, str) else len(v)
                  for k, v in result['transfer'].items()},
        finished=time.strftime('%Y-%m-%dT%H:%M:%S%z'))
    write_json_atomic(path, manifest)
    return manifest


def manifests(root: str) -> dict[str, dict]:
  """Every readable manifest under ROOT/stages, by key."""
  stages_dir = epath.Path(root) / 'stages'
  found = {}
  for stage_dir in sorted(stages_dir.iterdir()) if stages_dir.is_dir() else ():
    manifest = read_manifest(str(stage_dir))
    if manifest:
      found[manifest['key']] = manifest
  return found
