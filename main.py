"""Runs a transfer experiment: `python main.py --config=configs/demo.py --workdir=DIR`.

Override any config value with `--config.target.steps=500`; pick a variant
with `--config=configs/demo.py:smoke`. Running the same command again resumes.
"""

import logging as std_logging
import sys

from absl import app, flags, logging
from ml_collections import config_flags

from transfer import experiment
from transfer.errors import UserError

_CONFIG = config_flags.DEFINE_config_file('config', None, 'Experiment config file.',
                                          lock_config=True)
_WORKDIR = flags.DEFINE_string('workdir', None, 'Directory for checkpoints and results.')
_DISTRIBUTED = flags.DEFINE_bool(
    'distributed', False, 'Call jax.distributed.initialize() first (multi-host jobs; '
    'coordinator and process ids come from the cluster environment).')
flags.mark_flags_as_required(['config', 'workdir'])


class _QuietLibraries(std_logging.Filter):
  """Keeps the console log concise: Orbax logs every save step by step at INFO."""

  def filter(self, record):
    return record.levelno >= logging.WARNING or '/orbax/' not in record.pathname


def _parse_flags(argv):
  """absl flag parsing, with bad --config values reported as one clear error."""
  try:
    return flags.FLAGS(argv)
  except Exception as e:  # config_flags raises several types for bad overrides.
    message = str(e).strip()
    if 'Traceback' in message:  # A config file's own error: keep its last line.
      message = message.splitlines()[-1]
    message = message.replace("\\'", "'").replace('\\n', ' ')
    if message[:1] in '\'"' and message[-1:] == message[:1]:
      message = message[1:-1]
    if isinstance(e, (AttributeError, KeyError)):
      message = f'unknown config key {message}'
    config_args = [a for a in argv[1:] if a.startswith('--config')]
    print(f'error: bad command-line flags: {message}\n'
          f'  where: {" ".join(config_args) or " ".join(argv[1:])}\n'
          '  how to fix: use the key names and value types of the config file named '
          'by --config; `python main.py --help` lists the flags.', file=sys.stderr)
    sys.exit(1)


def main(argv):
  del argv
  quiet = _QuietLibraries()
  logging.get_absl_logger().addFilter(quiet)  # absl.logging calls.
  logging.get_absl_handler().python_handler.addFilter(quiet)  # std logging calls.
  import jax  # pylint: disable=g-import-not-at-top
  if _DISTRIBUTED.value:
    jax.distributed.initialize()
  try:
    results = experiment.run(_CONFIG.value, _WORKDIR.value)
  except UserError as e:
    print(f'error: {e}', file=sys.stderr)
    sys.exit(1)
  if jax.process_index() == 0:
    print(experiment.format_table(results))


if __name__ == '__main__':
  app.run(main, flags_parser=_parse_flags)
