"""Runs a study's stages: in this process, through submitit, or as printed commands.

Every way of running goes through `run_local`, which trains the stages it is
given in dependency order, skipping finished ones and waiting for those
another runner holds. So a rerun of the same command resumes, several
runners (processes, SLURM array tasks) can share one ROOT, and a stage is
trained once whichever way it was started.

ROOT layout:
  ROOT/stages/<name>-<key>/   one stage: manifest.json, checkpoints/, events
  ROOT/results.csv            one row per finished transfer of the study
  ROOT/analysis/              its analysis: tables, figures, report.html
  ROOT/cache/xla/             the persistent compilation cache
  ROOT/submitit/              submitit's job scripts and logs (--cluster)
"""

import hashlib
import shlex
import time

from absl import logging
from etils import epath
import jax

from transfer import analysis, multihost, results, stages, study, trainer, validate
from transfer.data import catalog, pipeline
from transfer.errors import UserError


def enable_compilation_cache(root: str) -> None:
  """JAX's persistent compilation cache in ROOT/cache/xla, unless one is
  already set (JAX_COMPILATION_CACHE_DIR): a stage whose programs were
  compiled before (same model, task and shapes) loads them instead."""
  if not jax.config.jax_compilation_cache_dir:
    jax.config.update('jax_compilation_cache_dir', str(epath.Path(root) / 'cache' / 'xla'))
  jax.config.update('jax_persistent_cache_min_compile_time_secs', 0)
  jax.config.update('jax_persistent_cache_min_entry_size_bytes', 0)


def plan(config) -> list[study.StagePlan]:
  """The study's stages, their values (validate.py) and names (datasets,
  tasks, backbone) checked."""
  validate.check(config)
  plans = study.expand(config)
  for stage_plan in plans:
    trainer.build_stage(stage_plan.config, stage_plan.where, 'config.model')
  return plans


def check_data(plans, data_dir: str | None) -> None:
  """Every dataset of the study is prepared (generated ones are built here)."""
  loaded = set()
  for stage_plan in plans:
    if stage_plan.config.dataset not in loaded:
      info = catalog.get(stage_plan.config.dataset)
      pipeline.load_builder(info, data_dir, (info.train_split, info.eval_split),
                            where=f'{stage_plan.where}.dataset')
      loaded.add(stage_plan.config.dataset)


def _finished(root, plan) -> bool:
  return stages.is_finished(stages.read_manifest(stages.directory(root, plan)))


def _status(root, plans) -> dict[str, str]:
  """{key: 'finished' | 'locked' (another runner trains it) | 'open'}."""
  return {p.key: 'finished' if _finished(root, p) else
          'locked' if stages.is_locked(stages.directory(root, p)) else 'open' for p in plans}


def run_local(plans, root: str, data_dir: str | None, keys=None,
              poll_seconds: float = 2.0) -> None:
  """Trains the unfinished stages among `keys` (default: all) in order.

  A stage whose source is being trained by another runner waits for it; a
  stage whose source is neither finished, nor to be trained here, nor being
  trained elsewhere is an error. Every process of a multi-process job runs
  this together: process 0 reads the stages' states and all act on them.
  """
  by_key = {p.key: p for p in plans}
  todo = [p for p in plans if keys is None or p.key in keys]
  watched = todo + [by_key[p.parent] for p in todo if p.parent in by_key]
  status = multihost.from_zero(_status, root, watched)
  for plan in todo:
    if status[plan.key] == 'finished':
      logging.info('Stage %s already finished.', plan.dirname)
  waiting = None
  while True:
    pending = [p for p in todo if status[p.key] != 'finished']
    if not pending:
      return
    pending_keys = {p.key for p in pending}
    trained = False
    for plan in pending:
      parent = by_key.get(plan.parent)
      if parent and status[parent.key] != 'finished':
        if parent.key in pending_keys or status[parent.key] == 'locked':
          continue
        raise UserError(
            f'Stage {plan.dirname} transfers from {parent.dirname}, which is not finished.',
            where=f'{plan.where} (--stage={plan.key})',
            fix=f'run the source stage first (--stage={parent.key}), or the whole study.')
      if stages.train(plan, root, data_dir, parent) is not None:
        trained = True
        break
    if not trained:
      if waiting != pending_keys:
        logging.info('Waiting for %d stage(s) that other runners are training.', len(pending))
        waiting = pending_keys
      time.sleep(poll_seconds)
    status = multihost.from_zero(_status, root, watched)


def score(config, plans, root: str) -> int:
  """Transferability scores of the finished transfers' pairs that have none
  yet (config.transferability; process 0), cached under ROOT/transferability."""
  if not multihost.is_zero() or not config.transferability.metrics:
    return 0
  from transfer import rank_sources  # pylint: disable=g-import-not-at-top
  return rank_sources.score_study(config, plans, root)


def collect(plans, root: str, config=None) -> list[dict]:
  """Rebuilds ROOT/results.csv from the manifests (and, given the study's
  config, the cached transferability scores); returns its rows."""
  manifests, scores = stages.manifests(root), {}
  if config is not None and config.transferability.metrics:
    from transfer import rank_sources  # pylint: disable=g-import-not-at-top
    scores = rank_sources.study_scores(config, plans, root, manifests)
  table = results.rows(manifests, [p.key for p in plans if p.role == 'target'], scores)
  stages.write_atomic(str(epath.Path(root) / 'results.csv'), results.to_csv(table))
  return table


def analyse(root: str) -> str | None:
  """Analyses ROOT/results.csv into ROOT/analysis (tables, figures,
  report.html: `transfer.analysis`) on process 0; returns the factor table,
  or None where there is nothing to compare (fewer than two pairs)."""
  if not multihost.is_zero():
    return None
  result = analysis.analyse(analysis.load(root))
  if len(result.pairs) < 2:
    return None
  out = epath.Path(root) / 'analysis'
  analysis.write(result, str(out))
  return f'{analysis.format_factors(result)}\nReport: {out / "report.html"}'


def levels(plans) -> list[list[study.StagePlan]]:
  """Stages grouped by depth in the graph: sources and baselines, then transfers."""
  by_key = {p.key: p for p in plans}
  depth = {}
  for plan in plans:  # Parents come first.
    depth[plan.key] = depth[plan.parent] + 1 if plan.parent in by_key else 0
  grouped = [[] for _ in range(max(depth.values(), default=-1) + 1)]
  for plan in plans:
    grouped[depth[plan.key]].append(plan)
  return [g for g in grouped if g]


def unfinished(plans, root: str) -> list[study.StagePlan]:
  return [p for p in plans if not _finished(root, p)]


def commands(plans, root: str, argv: list[str]) -> list[str]:
  """One shell command per unfinished stage, in dependency order: `argv` (the
  study's command line) with `--stage=KEY`. Each level's commands can run in
  parallel once the level before has finished."""
  base = [a for a in argv if a.split('=')[0] not in ('--print_commands', '--stage')]
  return [shlex.join(['python', *base, f'--stage={p.key}']) for p in unfinished(plans, root)]


def _join_job() -> None:
  """In a submitit job of several tasks (--nodes, --tasks_per_node), starts
  JAX's distributed runtime with one process per task: the coordinator is
  task 0's host, on a port derived from the job id (the same on every task)."""
  import submitit  # pylint: disable=g-import-not-at-top
  env = submitit.JobEnvironment()
  if env.num_tasks > 1:
    port = 20000 + int(hashlib.sha256(env.job_id.encode()).hexdigest(), 16) % 20000
    multihost.initialize(f'{env.hostnames[0]}:{port}', env.num_tasks, env.global_rank)


def run_tasks(config, root: str, keys: list[str]) -> list[str]:
  """One submitit job: trains the stages `keys` of the study (its chunk),
  with every task of the job as one process of each stage."""
  _join_job()
  if config.compilation_cache:
    enable_compilation_cache(root)
  plans = plan(config)
  check_data(plans, config.data_dir)
  run_local(plans, root, config.data_dir, keys=set(keys))
  return keys


def collect_task(config, root: str) -> int:
  """The last submitit job: rebuilds ROOT/results.csv (and its analysis, if
  the study asks for one); returns its row count."""
  plans = study.expand(config)
  score(config, plans, root)
  rows = len(collect(plans, root, config))
  if rows and config.analysis:
    analyse(root)
  return rows


def submit(config, plans, root: str, executor, stages_per_task: int = 1,
           slurm: bool = False) -> list:
  """Submits the unfinished stages as one job array per graph level.

  On SLURM the levels are chained with `afterok` dependencies and a last job
  writes results.csv; with submitit's local or debug executors each level is
  waited for before the next is submitted. `stages_per_task` stages run one
  after another in each array task (many small stages, fewer jobs).
  Returns the jobs, the collect job last.
  """
  all_jobs, previous = [], []

  def after(kind):
    ids = sorted({job.job_id.split('_')[0] for job in previous})
    executor.update_parameters(slurm_additional_parameters=(
        {'dependency': f'{kind}:' + ':'.join(ids)} if ids else {}))

  for level in levels(unfinished(plans, root)):
    chunks = [[p.key for p in level[i:i + stages_per_task]]
              for i in range(0, len(level), stages_per_task)]
    if slurm:
      after('afterok')
    jobs = executor.map_array(run_tasks, [config] * len(chunks), [root] * len(chunks), chunks)
    if not slurm:
      for job in jobs:
        job.results()  # One per task of the job.
    all_jobs += jobs
    previous = jobs
  if slurm:
    after('afterany')
  executor.update_parameters(nodes=1, tasks_per_node=1)  # Collecting is one process's job.
  collector = executor.submit(collect_task, config, root)
  if not slurm:
    collector.result()
  return all_jobs + [collector]
