"""The generic training loop: one stage = one dataset, one task, one init.

Importable from a notebook: `trainer.train_and_evaluate(stage_config, workdir)`,
and, for tests and benchmarks, its pieces `build_stage`, `init_state`,
`train_step`, `eval_step` and `predict` (pure functions to jit). Nothing here
is task-specific; the Task plug-in supplies head, loss and evaluation
statistics.

Start-up order: resume from the newest complete checkpoint in
`workdir/checkpoints` (its input position included), else initialise as `config.init.kind` says (transfer from a source stage's
checkpoint, ILSVRC'12 weights from a converted checkpoint, or scratch).
"""

import contextlib
import dataclasses
import functools
import os
import signal
import threading
import time

from absl import logging
from clu import metric_writers, metrics as clu_metrics, periodic_actions, parameter_overview
from etils import epath
import flax
import jax
from jax.experimental import multihost_utils
import jax.numpy as jnp
import numpy as np
import optax
import PIL.Image

from transfer import checkpoints, errors, models, multihost, optim, sharding, tasks
from transfer.data import catalog, pipeline
from transfer.errors import UserError
from transfer.models import conv
from transfer.models.dense import DenseModel


@flax.struct.dataclass
class TrainMetrics(clu_metrics.Collection):
  loss: clu_metrics.Average.from_output('loss')


@dataclasses.dataclass
class Stage:
  """Everything built from a stage config before any computation."""
  config: object
  dataset: catalog.DatasetInfo
  task: object
  model: DenseModel
  where: str


def build_stage(config, where: str = 'config', model_where: str | None = None) -> Stage:
  """Resolves names in a stage config (dataset, task, backbone) or raises UserError.

  `where` is the config key of the stage's section, `model_where` that of its
  model section (default `<where>.model`; a study shares one `config.model`).
  """
  model_where = model_where or f'{where}.model'
  dataset = catalog.get(config.dataset, where=f'{where}.dataset')
  task = tasks.get_task(config.task, dataset, where=f'{where}.task.name')
  backbone_cls = models.get_backbone(config.model.backbone, f'{model_where}.backbone')
  dtype = config.model.dtype
  if dtype not in ('float32', 'bfloat16'):
    raise UserError(f'Unknown model.dtype {dtype!r}.', where=f'{model_where}.dtype',
                    fix="use 'float32' or 'bfloat16' (parameters stay float32).")
  if config.model.conv not in conv.IMPLEMENTATIONS:
    raise UserError(f'Unknown model.conv {config.model.conv!r}.', where=f'{model_where}.conv',
                    fix=f'use one of {", ".join(map(repr, conv.IMPLEMENTATIONS))}.')
  numerics = dict(dtype=jnp.dtype(dtype), conv=conv.conv_function(config.model.conv))
  backbone = backbone_cls(**config.model.get(config.model.backbone, {}), **numerics)
  head = task.head().clone(**numerics)
  return Stage(config, dataset, task, DenseModel(backbone, head), where)


def _example_batch(stage, batch_size):
  height, width = pipeline.input_size(stage.config.input, stage.dataset)
  return jnp.zeros((batch_size, height, width, 3), jnp.uint8)


def init_state(stage, tx, rng, batch_size):
  """A fresh train state (step, params, batch_stats, opt_state) of `stage`."""
  variables = stage.model.init(rng, _example_batch(stage, batch_size), train=False)
  params = variables['params']
  return {'step': jnp.zeros((), jnp.int32), 'params': params,
          'batch_stats': variables.get('batch_stats', {}),
          'opt_state': tx.init(params)}


def abstract_state(stage, tx, mesh):
  """The train state's shape on `mesh`, from the stage's `sharding` config:
  (a tree of ShapeDtypeStructs carrying their shardings, the shardings).
  What a checkpoint is restored into, on any topology."""
  shapes = jax.eval_shape(functools.partial(init_state, stage, tx, batch_size=1),
                          jax.random.key(0))
  shardings = sharding.state_shardings(shapes, stage.config.sharding, mesh, stage.where)
  return jax.tree.map(lambda a, s: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=s),
                      shapes, shardings), shardings


def train_step(state, batch, *, stage, tx, skip_nonfinite: bool = False):
  """One optimiser step on `batch`: (new state, TrainMetrics, logged scalars).

  The logs' `finite` is False when the loss or the gradient norm is not
  finite; with `skip_nonfinite` such a step leaves the state unchanged
  (except its step count).
  """
  def loss_fn(params):
    outputs, updates = stage.model.apply(
        {'params': params, 'batch_stats': state['batch_stats']}, batch['image'],
        train=True, mutable=['batch_stats'])
    loss, aux = stage.task.loss(outputs, batch)
    return loss, (updates, aux)

  (loss, (updates, aux)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state['params'])
  param_updates, opt_state = tx.update(grads, state['opt_state'], state['params'])
  new_state = {'step': state['step'] + 1,
               'params': optax.apply_updates(state['params'], param_updates),
               'batch_stats': updates.get('batch_stats', {}), 'opt_state': opt_state}
  grad_norm = optax.tree.norm(grads)
  finite = jnp.isfinite(loss) & jnp.isfinite(grad_norm)
  if skip_nonfinite:
    kept = jax.tree.map(lambda new, old: jnp.where(finite, new, old),
                        {k: v for k, v in new_state.items() if k != 'step'},
                        {k: v for k, v in state.items() if k != 'step'})
    new_state = dict(kept, step=new_state['step'])
  logs = dict(aux, loss=loss, grad_norm=grad_norm, finite=finite)
  return new_state, TrainMetrics.single_from_model_output(loss=loss), logs


def predict(state, batch, *, stage):
  """The task's predictions for `batch` (inference mode)."""
  outputs = stage.model.apply(
      {'params': state['params'], 'batch_stats': state['batch_stats']},
      batch['image'], train=False)
  return stage.task.predict(outputs, batch)


def eval_step(state, batch, *, stage):
  """The task's evaluation statistics of `batch` (for its Evaluator)."""
  return stage.task.eval_stats(predict(state, batch, stage=stage), batch)


def _initialise(stage, state):
  """Applies config.init to a freshly initialised state; returns (state, report)."""
  init = stage.config.init
  where = f'{stage.where}.init'
  if init.kind == 'scratch':
    return state, {'init': 'scratch'}
  if init.kind in ('transfer', 'ilsvrc'):
    if not init.checkpoint:
      raise UserError(
          f'init.kind={init.kind!r} needs a checkpoint directory.', where=where,
          fix='set init.checkpoint (a study sets it to its source stage\'s checkpoints).')
    reinit = tuple(init.reinit)
    if init.kind == 'ilsvrc':  # Backbone layers ImageNet models do not have.
      reinit += tuple(f'(params|batch_stats)/backbone/{name}(/.*)?'
                      for name in models.new_layers(stage.config.model.backbone))
    state, report = checkpoints.restore_subset(
        init.checkpoint, state, tuple(init.load), reinit, where)
    return state, dict(report, init=init.kind)
  raise UserError(f'Unknown init.kind {init.kind!r}.', where=where,
                  fix="use 'scratch', 'transfer' or 'ilsvrc'.")


def _visualize(stage, predictions, batch, count: int) -> list[np.ndarray]:
  """Prediction-vs-ground-truth panels of the first `count` valid examples."""
  panels = []
  for i in np.flatnonzero(batch['_valid'])[:count]:
    example = jax.tree.map(lambda x, i=i: x[i], batch)
    panels.append(stage.task.visualize(
        example['image'], jax.tree.map(lambda x, i=i: x[i], predictions), example))
  return panels


def evaluate(stage, state, eval_fn, mesh, ds, predict_fn=None,
             num_images: int = 0) -> tuple[dict[str, float], list[np.ndarray]]:
  """One pass over the eval split; returns metrics and visualisation panels.

  `ds` makes a fresh `pipeline.eval_batches`; `eval_fn` is the jitted `eval_step`. The Task's evaluator turns every
  batch's statistics into metrics; panels come from the first batch when
  `num_images` > 0 (`predict_fn` returns predictions and the batch,
  replicated).
  """
  evaluator, panels = stage.task.evaluator(), []
  batches = pipeline.GlobalBatches(ds(), sharding.batch_sharding(mesh))
  for index, batch in enumerate(batches):
    evaluator.update(jax.device_get(eval_fn(state, batch)))
    if index == 0 and num_images:
      predictions, batch = jax.device_get(predict_fn(state, batch))
      panels = _visualize(stage, predictions, batch, num_images)
  batches.close()
  return evaluator.result(), panels


def _write_panels(writer, workdir, step, panels, png: bool):
  if not panels or not multihost.is_zero():
    return
  writer.write_images(step, {'eval/examples': np.stack(panels)})
  if png:
    folder = epath.Path(workdir) / 'visualizations' / f'step_{step}'
    folder.mkdir(parents=True, exist_ok=True)
    for i, panel in enumerate(panels):
      with (folder / f'{i}.png').open('wb') as f:
        PIL.Image.fromarray(panel).save(f, format='PNG')


@contextlib.contextmanager
def _preemption_signals():
  """Yields a list that receives a SIGTERM or SIGINT (the signal number); the
  previous handlers return at once, so a second signal acts as usual. One
  left in the list at the end is delivered again, to those handlers (the
  loop empties the list when it acts on it). Outside the main thread,
  where Python cannot handle signals, the list stays empty; so it does in a
  multi-process job, where JAX's preemption service takes SIGTERM and the
  processes agree on the step to stop at (`_preempted`)."""
  received = []
  if (threading.current_thread() is not threading.main_thread()
      or jax.process_count() > 1):
    yield received
    return
  previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

  def restore():
    for sig, old in previous.items():
      signal.signal(sig, old)

  def handler(signum, frame):
    del frame
    received.append(signum)
    restore()

  for sig in previous:
    signal.signal(sig, handler)
  try:
    yield received
  finally:
    restore()
    if received:
      os.kill(os.getpid(), received[0])


def _preempted(signals: list, step: int) -> str | None:
  """The name of the signal that stops the loop after `step`, if any: one
  this process received, or in a multi-process job a SIGTERM any process
  received, at the step JAX's preemption service had them all agree on."""
  if signals:
    return signal.Signals(signals.pop()).name
  if jax.process_count() > 1 and multihost_utils.reached_preemption_sync_point(step):
    return 'SIGTERM'
  return None


def _check_finite(logs, step: int, where: str) -> None:
  values = {k: float(logs[k]) for k in ('loss', 'grad_norm')}
  bad = [f'{"the loss" if k == "loss" else "the gradient norm"} is {v}'
         for k, v in values.items() if not np.isfinite(v)]
  raise UserError(
      f'Training diverged at step {step}: {" and ".join(bad)}. The stage stopped; its '
      'last checkpoint (before this step) is kept and no result is recorded.',
      where=f'{where}.optimizer',
      fix=f'lower {where}.optimizer.learning_rate (or raise warmup_steps), check the '
      f'data, or set {where}.skip_nonfinite=True to skip such steps.')


def train_and_evaluate(config, workdir: str, where: str = 'config',
                       data_dir: str | None = None, model_where: str | None = None) -> dict:
  """Trains one stage in `workdir`; returns its final evaluation metrics (and
  the task's main metric and direction), the transfer report, how many
  training examples it drew from, the final state, and timing (train-step
  compile seconds, steps trained and steps/s of the loop, evaluations
  included).

  Resumes from the newest complete checkpoint in `workdir/checkpoints`,
  the input pipeline included, so an interrupted run ends where an
  uninterrupted one would (bitwise on CPU). SIGTERM or SIGINT saves a
  checkpoint at the current step and raises `errors.Preempted`; a
  non-finite loss or gradient norm raises a UserError (unless
  `config.skip_nonfinite`), the last checkpoint untouched.

  With `config.steps = 0` it only evaluates the initialisation (an untrained
  baseline: bench/bench_tasks.py).
  """
  stage = build_stage(config, where, model_where)
  dataset = stage.dataset
  builder = pipeline.load_builder(
      dataset, data_dir, (dataset.train_split, dataset.eval_split),
      where=f'{where}.dataset')
  mesh = sharding.make_mesh(config.sharding.model_axis, where=where)
  batch_sharding = sharding.batch_sharding(mesh)
  eval_data = functools.partial(pipeline.eval_batches, builder, dataset, stage.task.fields,
                                config.input, where=f'{where}.input.eval_batch_size')

  tx, schedule = optim.make_optimizer(config.optimizer, config.steps, f'{where}.optimizer')
  init_fn = functools.partial(init_state, stage, tx, batch_size=1)
  rng = jax.random.key(config.seed)
  abstract, state_sharding = abstract_state(stage, tx, mesh)

  ckpt_dir = str(epath.Path(workdir) / 'checkpoints')
  resumed = checkpoints.restore_latest(ckpt_dir, abstract, where)
  ckpt = checkpoints.manager(ckpt_dir, save_every=config.checkpoint_every,
                             keep=config.keep_checkpoints)
  writer = metric_writers.create_default_writer(
      workdir, just_logging=jax.process_index() > 0, asynchronous=True)
  report, input_state, skipped = {}, None, 0
  if resumed:
    _, state, meta = resumed
    input_state, report = meta['input'], meta.get('transfer', {})
    skipped = meta.get('skipped_steps', 0)
    logging.info('Resumed from %s at step %d.', ckpt_dir, int(state['step']))
  else:
    state = jax.jit(init_fn, out_shardings=state_sharding)(rng)
    state, report = _initialise(stage, state)
    logging.info('Parameters:\n%s', parameter_overview.get_parameter_overview(state['params']))

  jit_train_step = jax.jit(
      functools.partial(train_step, stage=stage, tx=tx, skip_nonfinite=config.skip_nonfinite),
      in_shardings=(state_sharding, batch_sharding),
      out_shardings=(state_sharding, sharding.replicated(mesh), sharding.replicated(mesh)),
      donate_argnums=0)
  jit_eval_step = jax.jit(functools.partial(eval_step, stage=stage),
                          in_shardings=(state_sharding, batch_sharding),
                          out_shardings=sharding.replicated(mesh))
  jit_predict_step = jax.jit(
      lambda state, batch: (predict(state, batch, stage=stage), batch),
      in_shardings=(state_sharding, batch_sharding),
      out_shardings=sharding.replicated(mesh))

  def run_eval(step, state):
    metrics, panels = evaluate(stage, state, jit_eval_step, mesh, eval_data,
                               jit_predict_step, config.visualize.num_images)
    writer.write_scalars(step, {f'eval/{k}': v for k, v in metrics.items()})
    _write_panels(writer, workdir, step, panels, config.visualize.png)
    return metrics

  first_step = int(state['step'])
  batches = pipeline.GlobalBatches(
      pipeline.train_batches(builder, dataset, stage.task.fields, config, state=input_state,
                             where=where), batch_sharding)
  if batches.state['next_batch'] != first_step:
    raise UserError(f'The checkpoint in {ckpt_dir} holds step {first_step} but the input '
                    f'position {batches.state["next_batch"]}.', where=f'{where} / --workdir',
                    fix='use a new --workdir (this one was written by other code).')

  def save(step, force=False):
    return checkpoints.save(ckpt, step, state, {'input': batches.state, 'transfer': report,
                                                'skipped_steps': skipped}, force=force)

  progress = periodic_actions.ReportProgress(num_train_steps=config.steps, writer=writer,
                                             every_steps=config.log_every)
  train_metrics, input_wait = None, 0.0
  compiled_step, compile_seconds = None, None
  eval_metrics, log_tick = {}, time.perf_counter()
  loop_start = time.perf_counter()
  with _preemption_signals() as signals:
    for step in range(first_step + 1, config.steps + 1):
      tick = time.perf_counter()
      batch = next(batches)
      input_wait += time.perf_counter() - tick
      if compiled_step is None:  # Compiled ahead of time, to time the compilation alone.
        tick = time.perf_counter()
        compiled_step = jit_train_step.lower(state, batch).compile()
        compile_seconds = time.perf_counter() - tick
        log_tick += compile_seconds
        loop_start += compile_seconds
      with jax.profiler.StepTraceAnnotation('train', step_num=step):
        state, metrics, logs = compiled_step(state, batch)
      if not bool(logs['finite']):  # Waits for the step: the guard is exact.
        if not config.skip_nonfinite:
          batches.close()
          ckpt.wait_until_finished()
          ckpt.close()
          _check_finite(jax.device_get(logs), step, where)
        skipped += 1
        logging.warning('Step %d skipped: non-finite loss or gradient norm.', step)
      train_metrics = metrics if train_metrics is None else train_metrics.merge(metrics)
      progress(step)
      if step % config.log_every == 0 or step == config.steps:
        scalars = {f'train/{k}': v for k, v in train_metrics.compute().items()}
        scalars.update({f'train/{k}': v for k, v in jax.device_get(logs).items()
                        if k not in ('loss', 'finite')})
        scalars['train/learning_rate'] = schedule(step - 1)
        scalars['train/skipped_steps'] = skipped
        # Share of wall time the loop waited for input: ~0 when prefetch keeps up.
        scalars['train/input_wait_fraction'] = input_wait / (time.perf_counter() - log_tick)
        writer.write_scalars(step, scalars)
        train_metrics, input_wait, log_tick = None, 0.0, time.perf_counter()
      if step % config.eval_every == 0 or step == config.steps:
        with progress.timed('eval'):
          eval_metrics = run_eval(step, state)
      saved = save(step, force=step == config.steps)
      stop = _preempted(signals, step)
      if stop:  # The last step too: the stage then finishes on the rerun.
        if not saved:
          save(step, force=True)
        batches.close()
        ckpt.wait_until_finished()
        ckpt.close()
        writer.flush()
        raise errors.Preempted(step, stop)
  jax.block_until_ready(state)
  loop_seconds = time.perf_counter() - loop_start
  batches.close()
  if not eval_metrics:  # A resumed finished run, or steps=0: evaluate as is.
    eval_metrics = run_eval(first_step, state)
  ckpt.wait_until_finished()
  ckpt.close()
  writer.flush()
  trained = config.steps - first_step
  total = pipeline.num_examples_in(builder, dataset.train_split)
  used = min(config.train_examples or total, total) if total else config.train_examples
  timing = {'compile_seconds': compile_seconds, 'steps_trained': trained,
            'steps_per_second': trained / loop_seconds if trained > 0 else None,
            'skipped_steps': skipped}
  return {'metrics': eval_metrics, 'metric': stage.task.metric,
          'higher_is_better': stage.task.higher_is_better, 'transfer': report,
          'train_examples_used': used, 'state': state, 'timing': timing}
