"""Runs a transfer study: `python main.py --config=configs/demo.py --workdir=ROOT`.

Override any config value with `--config.targets.foggy_depth.steps=500`; pick
a variant with `--config=configs/demo.py:smoke`. Running the same command
again skips finished stages and resumes interrupted ones. SIGTERM or SIGINT
saves the running stage and exits with status 75 ("preempted at step N").

  --cluster=slurm|local|debug   run the stages through submitit instead
  --print_commands              print one command per unfinished stage
  --stage=KEY                   train one stage of the study (what those run)
"""

import logging as std_logging
import os
import re
import sys

from absl import app, flags, logging
from ml_collections import config_flags

from transfer.errors import PREEMPTED_EXIT_CODE, Preempted, UserError

_CONFIG = config_flags.DEFINE_config_file('config', None, 'Experiment config file.',
                                          lock_config=True)
_WORKDIR = flags.DEFINE_string('workdir', None, 'Study root: stages, results.csv, caches.')
_DISTRIBUTED = flags.DEFINE_bool(
    'distributed', False, 'Start JAX\'s distributed runtime first (multi-process jobs). '
    'SLURM, TPU VMs and Open MPI are detected; elsewhere give the next three flags or '
    'JAX_COORDINATOR_ADDRESS, JAX_NUM_PROCESSES and JAX_PROCESS_ID.')
_COORDINATOR = flags.DEFINE_string('coordinator_address', None,
                                   'host:port of process 0 (with --distributed).')
_NUM_PROCESSES = flags.DEFINE_integer('num_processes', None,
                                      'Processes in the job (with --distributed).')
_PROCESS_ID = flags.DEFINE_integer('process_id', None,
                                   'This process\'s index, 0-based (with --distributed).')
_STAGE = flags.DEFINE_string('stage', None, 'Train only the stage with this key.')
_PRINT = flags.DEFINE_bool('print_commands', False,
                           'Print one shell command per unfinished stage and exit.')
_CLUSTER = flags.DEFINE_enum(
    'cluster', None, ['slurm', 'local', 'debug'],
    'Run the stages through submitit: on SLURM (a job array per graph level), or '
    "submitit's local (subprocesses) or debug (in-process) executor.")
_STAGES_PER_TASK = flags.DEFINE_integer('stages_per_task', 1,
                                        'Stages run one after another per array task.')
_PARTITION = flags.DEFINE_string('slurm_partition', None, 'SLURM partition.')
_TIMEOUT = flags.DEFINE_integer('timeout_min', 240, 'Time limit of one array task, minutes.')
_NODES = flags.DEFINE_integer('nodes', 1, 'Nodes per array task (a multi-host stage).')
_TASKS = flags.DEFINE_integer(
    'tasks_per_node', 1, 'Processes per node of an array task (one per node sees all its '
    'GPUs; one per GPU needs as many GPUs per node).')
_GPUS = flags.DEFINE_integer('gpus_per_node', 0, 'GPUs per node of an array task.')
_CPUS = flags.DEFINE_integer('cpus_per_task', 8, 'CPUs per array task.')
_MEM = flags.DEFINE_integer('mem_gb', 32, 'Memory per array task, GB.')
_PARALLEL = flags.DEFINE_integer('array_parallelism', 64, 'Array tasks running at once.')
flags.mark_flags_as_required(['config', 'workdir'])


class _QuietLibraries(std_logging.Filter):
  """Keeps the console log concise: Orbax logs every save step by step at INFO."""

  def filter(self, record):
    return record.levelno >= logging.WARNING or '/orbax/' not in record.pathname


def _fail(error: UserError):
  print(f'error: {error}', file=sys.stderr)
  sys.exit(1)


def _parse_flags(argv):
  """absl flag parsing, with a bad flag, config file or --config override
  reported as one clear error."""
  try:
    return flags.FLAGS(argv)
  except Exception as e:  # config_flags raises several types for bad overrides.
    _fail(_flag_error(e, argv))


def _flag_error(e: Exception, argv) -> UserError:
  message = str(e).strip()
  config_file = next((a for a in argv[1:] if a.startswith('--config=')), '--config')
  if 'Traceback' in message or isinstance(e, (SyntaxError, ImportError)):
    return UserError(  # The config file's own error: keep its last line.
        f'The config file failed: {message.splitlines()[-1]}', where=config_file,
        fix='fix the config file, or pass a variant it takes after the colon '
        '(its docstring lists them).')
  missing = re.search(r'Flag --(\w+) must have a value other than None', message)
  if missing:
    return UserError(
        f'--{missing[1]} is missing.', where='the command line',
        fix='pass --config=FILE[:VARIANT] (e.g. configs/demo.py:smoke) and --workdir=DIR '
        '(the study root: stages, results.csv, caches).')
  flag = re.match(r"(?:flag --|Unknown command line flag ')([\w.]+)", message)
  if flag and flag[1] != 'config' and not flag[1].startswith('config.'):
    return UserError(f'Bad command-line flag: {message}', where=f'--{flag[1]}',
                     fix='`python main.py --help` lists the flags and their values.')
  message = message.replace("\\'", "'").replace('\\n', ' ')
  if message[:1] in '\'"' and message[-1:] == message[:1]:
    message = message[1:-1]
  if isinstance(e, (AttributeError, KeyError)):
    message = f'unknown config key {message}'
  config_args = [a for a in argv[1:] if a.startswith('--config')]
  return UserError(f'bad command-line flags: {message}',
                   where=' '.join(config_args) or ' '.join(argv[1:]),
                   fix='use the key names and value types of the config file named by '
                   '--config; `python main.py --help` lists the flags.')


def _config():
  """The --config value. For a file it could not open, config_flags gives a
  stand-in that raises on first use: here, as one clear error."""
  config = _CONFIG.value
  try:
    config.keys()
  except OSError as e:
    reason = str(e).strip().splitlines()[-1].split('failure to load: ')[-1].strip()
    raise UserError(f'Cannot open the config file: {reason}',
                    where=f'--config={flags.FLAGS["config"].config_filename}',
                    fix='name a config file (a path, relative to the current directory, e.g. '
                    'configs/demo.py), with an optional variant after a colon.') from None
  return config


def _check_workdir(root: str) -> None:
  """`root` is a directory this process can write to, or can be created as
  one; checked before anything runs, and nothing is created here. (A cloud
  path, gs://..., is not checked: its access rights are the bucket's.)"""
  from transfer import multihost  # pylint: disable=g-import-not-at-top
  if not multihost.is_local(root):
    return
  existing = root
  while not os.path.exists(existing):
    existing = os.path.dirname(existing)
  if not os.path.isdir(existing):
    problem = f'{existing} is a file, not a directory'
  elif not os.access(existing, os.W_OK | os.X_OK):
    problem = f'{existing} is not writable'
  else:
    return
  raise UserError(f'Cannot use {root} as the study root: {problem}.', where=f'--workdir={root}',
                  fix='pass a directory you can write to (it is created if missing); it '
                  'holds the stages, results.csv and caches.')


def _executor(root):
  import submitit  # pylint: disable=g-import-not-at-top
  executor = submitit.AutoExecutor(folder=os.path.join(root, 'submitit', '%j'),
                                   cluster=None if _CLUSTER.value == 'slurm' else _CLUSTER.value)
  executor.update_parameters(
      name='transfer', timeout_min=_TIMEOUT.value, nodes=_NODES.value,
      tasks_per_node=_TASKS.value, gpus_per_node=_GPUS.value,
      cpus_per_task=_CPUS.value, mem_gb=_MEM.value, slurm_partition=_PARTITION.value,
      slurm_array_parallelism=_PARALLEL.value)
  return executor


def _report(config, plans, root):
  from transfer import results, runner  # pylint: disable=g-import-not-at-top
  runner.score(config, plans, root)
  table = runner.collect(plans, root, config)
  if len(table) == 1:
    return results.format_table(table[0], config.baseline.kind)
  text = (results.format_summary(results.summary(table))
          + f'\n{len(table)} transfer(s): {os.path.join(root, "results.csv")}')
  factors = runner.analyse(root) if config.analysis and table else None
  return f'{text}\n\n{factors}' if factors else text


def _run(config, root):
  _check_workdir(root)
  # Imported here: a bad command line is reported before JAX and TensorFlow load.
  from transfer import runner  # pylint: disable=g-import-not-at-top
  if config.compilation_cache:
    runner.enable_compilation_cache(root)
  # Names first, then data: a typo never waits for data generation.
  plans = runner.plan(config)
  if _PRINT.value:
    return '\n'.join(runner.commands(plans, root, sys.argv))
  if _STAGE.value and _STAGE.value not in {p.key for p in plans}:
    raise UserError(f'The study has no stage with key {_STAGE.value!r}.', where='--stage',
                    fix='use a key from `--print_commands` of the same config and overrides.')
  runner.check_data(plans, config.data_dir)
  if _STAGE.value:
    runner.run_local(plans, root, config.data_dir, keys={_STAGE.value})
    runner.collect(plans, root, config)
    return None
  if _CLUSTER.value:
    import submitit  # pylint: disable=g-import-not-at-top
    try:
      jobs = runner.submit(config, plans, root, _executor(root), _STAGES_PER_TASK.value,
                           slurm=_CLUSTER.value == 'slurm')
    except submitit.core.utils.FailedJobError as e:
      last = [line for line in str(e).splitlines() if line.strip()][-1:]
      raise UserError(f'A submitit job failed: {" ".join(last)}', where='--cluster',
                      fix=f'read its log in {os.path.join(root, "submitit")}, fix the '
                      'cause and rerun (finished stages are skipped).') from e
    if _CLUSTER.value == 'slurm':
      return (f'Submitted {len(jobs) - 1} array task(s) and a collect job ({jobs[-1].job_id}), '
              f'logs in {os.path.join(root, "submitit")}; results.csv is written when '
              'they finish (or rerun this command: finished stages are skipped).')
  else:
    runner.run_local(plans, root, config.data_dir)
  return _report(config, plans, root)


def main(argv):
  del argv
  quiet = _QuietLibraries()
  logging.get_absl_logger().addFilter(quiet)  # absl.logging calls.
  logging.get_absl_handler().python_handler.addFilter(quiet)  # std logging calls.
  # Before anything that may start a JAX backend (the runtime must come first).
  from transfer import multihost  # pylint: disable=g-import-not-at-top
  root = os.path.abspath(_WORKDIR.value) if multihost.is_local(_WORKDIR.value) else _WORKDIR.value
  try:
    if _DISTRIBUTED.value:
      multihost.initialize(_COORDINATOR.value, _NUM_PROCESSES.value, _PROCESS_ID.value)
    elif any(f.present for f in (_COORDINATOR, _NUM_PROCESSES, _PROCESS_ID)):
      raise UserError('--coordinator_address, --num_processes and --process_id need '
                      '--distributed.', where='the command line',
                      fix='add --distributed (or drop those flags for one process).')
    text = _run(_config(), root)
  except UserError as e:
    _fail(e)
  except Preempted as e:
    print(f'{e}', file=sys.stderr)
    sys.exit(PREEMPTED_EXIT_CODE)
  if text and multihost.is_zero():
    print(text)


if __name__ == '__main__':
  app.run(main, flags_parser=_parse_flags)
