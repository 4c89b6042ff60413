"""Runs one command as N processes of a JAX distributed job on this machine.

  python -m transfer.launch --processes=2 -- main.py --config=configs/demo.py:smoke \
      --workdir=/tmp/demo2

Each process gets JAX_COORDINATOR_ADDRESS (127.0.0.1 and a free port),
JAX_NUM_PROCESSES and JAX_PROCESS_ID, and `--distributed` is added to the
command. `--devices_per_process=D` gives each process D CPU devices
(XLA_FLAGS); on a GPU machine `--gpus_per_process=G` gives process i the
GPUs [i*G, (i+1)*G). Process 0 prints to this terminal; the others' output
goes to `--log_dir` (if set) and, for one that fails, its last lines to
stderr. When a process fails the others are stopped (they would wait for
it); SIGTERM or SIGINT here is passed on to every process, which save and
exit with status 75 (JAX's preemption service picks one step for all). The
exit status is that of the first process to fail, else 0.

On a cluster, use its launcher instead: `srun` on SLURM (JAX reads the
task ids itself), `gcloud ... tpu-vm ssh --worker=all` on a TPU pod (README).
"""

import argparse
import collections
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from transfer.errors import PREEMPTED_EXIT_CODE

TAIL_LINES = 40


def free_port() -> int:
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def environments(processes: int, port: int, devices_per_process: int | None = None,
                 gpus_per_process: int | None = None, base=None) -> list[dict]:
  """The environment of each process."""
  envs = []
  for i in range(processes):
    env = dict(os.environ if base is None else base,
               JAX_COORDINATOR_ADDRESS=f'127.0.0.1:{port}', JAX_NUM_PROCESSES=str(processes),
               JAX_PROCESS_ID=str(i))
    if devices_per_process:
      flags = [f for f in env.get('XLA_FLAGS', '').split()
               if not f.startswith('--xla_force_host_platform_device_count')]
      env['XLA_FLAGS'] = ' '.join(
          flags + [f'--xla_force_host_platform_device_count={devices_per_process}'])
    if gpus_per_process:
      env['JAX_LOCAL_DEVICE_IDS'] = ','.join(
          str(d) for d in range(i * gpus_per_process, (i + 1) * gpus_per_process))
    envs.append(env)
  return envs


class _Process:
  """One child; its output (process 0: passed through) kept as a tail."""

  def __init__(self, index, command, env, log_dir):
    self.index = index
    self.tail = collections.deque(maxlen=TAIL_LINES)
    capture = index > 0
    self.popen = subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None, text=True, errors='replace',
        start_new_session=True)
    self.log = open(os.path.join(log_dir, f'process_{index}.log'), 'w') if (
        capture and log_dir) else None
    self.reader = threading.Thread(target=self._read, daemon=True) if capture else None
    if self.reader:
      self.reader.start()

  def _read(self):
    for line in self.popen.stdout:
      self.tail.append(line)
      if self.log:
        self.log.write(line)
    if self.log:
      self.log.close()

  def signal(self, signum):
    if self.popen.poll() is None:
      try:
        os.killpg(self.popen.pid, signum)
      except ProcessLookupError:
        pass

  def report(self):
    if self.reader:
      self.reader.join(timeout=5)
    lines = ''.join(f'[process {self.index}] {line}' for line in self.tail)
    print(f'[process {self.index}] exited with status {self.popen.returncode}; its last '
          f'lines:\n{lines}', file=sys.stderr)


def run(command: list[str], processes: int, devices_per_process: int | None = None,
        gpus_per_process: int | None = None, log_dir: str | None = None,
        timeout: float | None = None, grace_seconds: float = 60.0) -> int:
  """Runs `command` as `processes` processes; returns the job's exit status
  (124 if `timeout` seconds passed: then every process is killed)."""
  if '--distributed' not in command:
    command = [*command, '--distributed']
  if log_dir:
    os.makedirs(log_dir, exist_ok=True)
  envs = environments(processes, free_port(), devices_per_process, gpus_per_process)
  children = [_Process(i, command, env, log_dir) for i, env in enumerate(envs)]
  received = []

  def forward(signum, frame):
    del frame
    received.append(signum)
    for child in children:
      child.signal(signal.SIGTERM)

  previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
  start, stop_at, first_failure = time.monotonic(), None, None
  try:
    while [c.popen.poll() for c in children].count(None):
      now = time.monotonic()
      failed = [c for c in children if c.popen.returncode not in (None, 0)]
      if failed and stop_at is None:  # The others would wait for it: stop them.
        first_failure = failed[0]
        preempted = first_failure.popen.returncode == PREEMPTED_EXIT_CODE
        stop_at = now + (grace_seconds if preempted or received else 5.0)
      if (stop_at is not None and now > stop_at) or (timeout and now - start > timeout):
        for child in children:
          child.signal(signal.SIGKILL)
      time.sleep(0.1)
  finally:
    for s, handler in previous.items():
      signal.signal(s, handler)
  if timeout and time.monotonic() - start > timeout:
    print(f'transfer.launch: killed after the timeout of {timeout:.0f} s.', file=sys.stderr)
    return 124
  codes = [c.popen.returncode for c in children]
  for child in children[1:]:
    if child.popen.returncode not in (0, codes[0]) and child.popen.returncode >= 0:
      child.report()  # Not one the launcher stopped (those show a negative status).
  if first_failure is not None:
    return first_failure.popen.returncode
  return codes[0] or next((c for c in codes if c), 0)


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(
      prog='python -m transfer.launch', description=__doc__.split('\n\n')[0],
      usage='%(prog)s --processes=N [options] -- SCRIPT [ARGS...]')
  parser.add_argument('--processes', type=int, required=True, help='processes to start')
  parser.add_argument('--devices_per_process', type=int,
                      help='CPU devices per process (XLA_FLAGS)')
  parser.add_argument('--gpus_per_process', type=int, help='GPUs per process')
  parser.add_argument('--log_dir', help='write every process\'s output here too')
  parser.add_argument('--timeout', type=float, help='kill every process after this many s')
  parser.add_argument('command', nargs=argparse.REMAINDER,
                      help='after --: a Python script (main.py) and its arguments')
  args = parser.parse_args(argv)
  command = args.command[1:] if args.command[:1] == ['--'] else args.command
  if args.processes < 1 or not command:
    parser.error('give --processes >= 1 and, after --, the script to run '
                 '(e.g. -- main.py --config=configs/demo.py:smoke --workdir=DIR)')
  if command[0].endswith('.py'):
    command = [sys.executable, *command]
  return run(command, args.processes, args.devices_per_process, args.gpus_per_process,
             args.log_dir, args.timeout)


if __name__ == '__main__':
  sys.exit(main())
