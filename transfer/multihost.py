"""One code path for 1 and N processes (JAX's distributed runtime).

`initialize` starts the runtime; main.py calls it first, before anything
touches a JAX backend. The rest keeps N processes in step wherever they
meet the file system: a decision that reads it (is a stage finished, which
checkpoint to resume) is made by process 0 and shared (`from_zero`); work
that writes shared files (generating a dataset) is done by process 0 while
the others wait (`zero_first`); only process 0 writes manifests, results
and images. With one process every function here is a plain call.
"""

import json
import os

from absl import logging
import jax
import numpy as np
from jax.experimental import multihost_utils

from transfer.errors import UserError

ENV_COORDINATOR, ENV_PROCESSES, ENV_PROCESS_ID = (
    'JAX_COORDINATOR_ADDRESS', 'JAX_NUM_PROCESSES', 'JAX_PROCESS_ID')


def _env_int(name: str) -> int | None:
  value = os.environ.get(name)
  if value is None:
    return None
  try:
    return int(value)
  except ValueError:
    raise UserError(f'{name}={value!r} is not an integer.', where=f'the environment ({name})',
                    fix=f'set {name} to a whole number, or unset it.') from None


def initialize(coordinator_address: str | None = None, num_processes: int | None = None,
               process_id: int | None = None, timeout_seconds: int = 300) -> None:
  """`jax.distributed.initialize` with each setting from the argument, else
  JAX_COORDINATOR_ADDRESS / JAX_NUM_PROCESSES / JAX_PROCESS_ID, else what
  JAX detects itself (SLURM, TPU VMs, Open MPI); failures as one UserError."""
  num_processes = num_processes if num_processes is not None else _env_int(ENV_PROCESSES)
  process_id = process_id if process_id is not None else _env_int(ENV_PROCESS_ID)
  try:
    jax.distributed.initialize(coordinator_address, num_processes, process_id,
                               initialization_timeout=timeout_seconds)
  except (ValueError, TypeError, RuntimeError) as e:
    message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    raise UserError(
        f'JAX\'s distributed runtime did not start: {message}', where='--distributed',
        fix='outside SLURM, a TPU VM or Open MPI, give every process the coordinator '
        'address (host:port of process 0), the process count and its id: '
        f'--coordinator_address, --num_processes and --process_id, or {ENV_COORDINATOR}, '
        f'{ENV_PROCESSES} and {ENV_PROCESS_ID}; `python -m transfer.launch` does this '
        'for N processes on one machine.') from None
  logging.info('Process %d of %d, %d of %d devices local.', jax.process_index(),
               jax.process_count(), jax.local_device_count(), jax.device_count())


def is_local(path) -> bool:
  """Whether `path` is on a local (or mounted) file system, not gs:// etc.
  (which etils.epath, Orbax and tf.io.gfile reach, but flock does not)."""
  return '://' not in str(path)


def is_zero() -> bool:
  return jax.process_index() == 0


def _broadcast_bytes(data: bytes | None) -> bytes:
  """`data` of process 0, on every process."""
  size = int(multihost_utils.broadcast_one_to_all(np.int32(len(data) if data else 0)))
  buffer = np.zeros(size, np.uint8)
  if data:
    buffer[:] = np.frombuffer(data, np.uint8)
  return np.asarray(multihost_utils.broadcast_one_to_all(buffer)).tobytes()


def from_zero(fn, *args, **kwargs):
  """`fn(*args, **kwargs)` run on process 0 and its JSON-able result
  returned on every process. A UserError it raises is raised on every
  process (another exception on process 0 alone, the others with a
  UserError that points at process 0's log)."""
  if jax.process_count() == 1:
    return fn(*args, **kwargs)
  payload, crash = None, None
  if is_zero():
    try:
      payload = {'value': fn(*args, **kwargs)}
    except UserError as e:
      payload = {'error': [e.what, e.where, e.fix]}
    except BaseException as e:  # pylint: disable=broad-except
      payload, crash = {'crash': f'{type(e).__name__}: {e}'}, e
  payload = json.loads(_broadcast_bytes(json.dumps(payload).encode() if is_zero() else None))
  if crash is not None:
    raise crash
  if 'error' in payload:
    what, where, fix = payload['error']
    raise UserError(what, where=where, fix=fix)
  if 'crash' in payload:
    raise UserError(f'Process 0 failed: {payload["crash"]}', where='process 0',
                    fix='read the log of process 0.')
  return payload['value']


def zero_first(fn, *args, **kwargs):
  """`fn(*args, **kwargs)` on process 0, then (once it has succeeded) on
  the others; each returns its own result. For work whose first run writes
  shared files and whose later runs read them."""
  if jax.process_count() == 1:
    return fn(*args, **kwargs)
  result = None

  def first():
    nonlocal result
    result = fn(*args, **kwargs)

  from_zero(first)
  return result if is_zero() else fn(*args, **kwargs)


def all_true(flag: bool) -> bool:
  """True on every process when `flag` is True on every process."""
  if jax.process_count() == 1:
    return flag
  return bool(np.all(multihost_utils.process_allgather(np.bool_(flag))))


def barrier(name: str) -> None:
  if jax.process_count() > 1:
    multihost_utils.sync_global_devices(name)
