"""Kills a study at random moments; the reruns must end bitwise equal to an uninterrupted run.

  python bench/torture.py --kills=8 --seed=0 --root=/tmp/torture -- \
      --config=configs/demo.py:smoke --config.data_dir=/tmp/tfds

Everything after `--` is main.py's command line (without --workdir). The
study runs once uninterrupted in ROOT/reference, then in ROOT/tortured where
it is killed `--kills` times (while stages are left): each kill waits until
a stage of the next kind (source, baseline, transfer, in turn, among the
kinds with unfinished stages) is running, sleeps a random time within
that kind's wall time in the reference run (or until that stage ends,
whichever comes first), and sends SIGKILL to the whole
process group (SIGTERM for every `--term_every`-th kill: a preemption, exit
status 75), then the same command runs again. At the end every stage's
final state (all arrays of its last checkpoint), its metrics and results.csv
must equal the reference's exactly, and a stage that had finished before a
kill must never have been rewritten. Prints one line per kill and the
verdict; exits 1 on any difference.
"""

import argparse
import csv
import glob
import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINDS = ('source', 'baseline', 'target')  # Manifest roles; 'target' = a transfer.


def _manifests(root):
  out = {}
  for path in glob.glob(os.path.join(root, 'stages', '*', 'manifest.json')):
    try:
      with open(path) as f:
        manifest = json.load(f)
    except (OSError, ValueError):  # Being replaced this instant.
      continue
    out[os.path.basename(os.path.dirname(path))] = manifest
  return out


def _start(args, root, log):
  with open(log, 'a') as out:
    return subprocess.Popen([sys.executable, 'main.py', *args, f'--workdir={root}'], cwd=REPO,
                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _run(args, root, log, timeout):
  process = _start(args, root, log)
  if process.wait(timeout=timeout):
    sys.exit(f'{root}: main.py exited with {process.returncode}; see {log}')


def _running(root, kind):
  return [n for n, m in _manifests(root).items() if m['role'] == kind and m['state'] == 'running']


def _wait_for(process, root, kind, deadline):
  """The name of a running stage of `kind`, or None once the process ended."""
  while time.time() < deadline:
    if process.poll() is not None:
      return None
    if running := _running(root, kind):
      return running[0]
    time.sleep(0.02)
  raise TimeoutError(f'no {kind} stage started in {root}')


def _sleep_within(process, root, stage, seconds):
  """Sleeps `seconds`, or until `stage` stops running (or the process ends)."""
  deadline = time.time() + seconds
  while time.time() < deadline and process.poll() is None:
    if _manifests(root).get(stage, {}).get('state') != 'running':
      return
    time.sleep(0.02)


def _final_arrays(stage_dir):
  import orbax.checkpoint as ocp  # pylint: disable=g-import-not-at-top
  steps = [int(p) for p in os.listdir(os.path.join(stage_dir, 'checkpoints')) if p.isdigit()]
  path = os.path.join(stage_dir, 'checkpoints', str(max(steps)), 'state')
  import jax  # pylint: disable=g-import-not-at-top
  tree = ocp.PyTreeCheckpointer().restore(path)
  return {jax.tree_util.keystr(k): np.asarray(v)
          for k, v in jax.tree_util.tree_leaves_with_path(tree)}


def _results(root):
  with open(os.path.join(root, 'results.csv')) as f:
    return list(csv.DictReader(f))


def compare(reference, tortured) -> list[str]:
  """Differences between two finished study roots (empty: bitwise equal)."""
  problems = []
  ref, got = _manifests(reference), _manifests(tortured)
  if sorted(ref) != sorted(got):
    return [f'stages differ: {sorted(set(ref) ^ set(got))}']
  for name in sorted(ref):
    if got[name]['state'] != 'finished':
      problems.append(f'{name}: {got[name]["state"]}')
      continue
    if got[name]['metrics'] != ref[name]['metrics']:
      problems.append(f'{name}: metrics {got[name]["metrics"]} != {ref[name]["metrics"]}')
    a = _final_arrays(os.path.join(reference, 'stages', name))
    b = _final_arrays(os.path.join(tortured, 'stages', name))
    differ = [k for k in a if k not in b or not np.array_equal(a[k], b[k])]
    if differ or a.keys() != b.keys():
      problems.append(f'{name}: {len(differ)} array(s) differ, e.g. {differ[:2]}')
  if _results(reference) != _results(tortured):
    problems.append('results.csv differs')
  return problems


def torture(args, root, kills: int, seed: int, term_every: int, timeout: float) -> list[str]:
  rng = random.Random(seed)
  reference, tortured = os.path.join(root, 'reference'), os.path.join(root, 'tortured')
  log = os.path.join(root, 'log.txt')
  os.makedirs(root, exist_ok=True)
  tick = time.time()
  _run(args, reference, log, timeout)
  print(f'reference run: {time.time() - tick:.0f} s')
  wall = {kind: max([m['wall_seconds'] for m in _manifests(reference).values()
                     if m['role'] == kind] or [1.0]) for kind in KINDS}
  roles = {name: m['role'] for name, m in _manifests(reference).items()}
  problems, finished, kill, turn = [], {}, 0, 0
  while True:
    done = {n for n, m in _manifests(tortured).items() if m['state'] == 'finished'}
    pending = [k for k in KINDS if any(r == k and n not in done for n, r in roles.items())]
    kind = next((k for k in KINDS[turn:] + KINDS[:turn] if k in pending), None)
    turn = (KINDS.index(kind) + 1) % len(KINDS) if kind else turn
    process = _start(args, tortured, log)
    stage = kill < kills and kind and _wait_for(process, tortured, kind, time.time() + timeout)
    if stage:
      delay = rng.uniform(0, wall[kind])
      _sleep_within(process, tortured, stage, delay)
      sig = signal.SIGTERM if term_every and (kill + 1) % term_every == 0 else signal.SIGKILL
      os.killpg(process.pid, sig)
      status = process.wait()
      kill += 1
      running = [n for n, m in _manifests(tortured).items() if m['state'] != 'finished']
      print(f'kill {kill}: {sig.name} at most {delay:.1f} s into a {kind} stage, exit '
            f'{status}; unfinished: {running or "none"}')
    elif process.wait(timeout=timeout) == 0:
      break
    else:
      return [f'main.py exited with {process.returncode}; see {log}']
    now = _manifests(tortured)
    for name, manifest in finished.items():
      if now[name] != manifest:
        problems.append(f'{name} was rewritten after it had finished')
    finished = {n: m for n, m in now.items() if m['state'] == 'finished'}
  return problems + compare(reference, tortured)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--kills', type=int, default=6)
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--term_every', type=int, default=3,
                      help='every N-th kill is a SIGTERM (0: SIGKILL only)')
  parser.add_argument('--root', required=True, help='an empty folder for both runs')
  parser.add_argument('--timeout', type=float, default=1800, help='seconds per run')
  parser.add_argument('main_args', nargs='+', help='main.py arguments, after --')
  args = parser.parse_args()
  problems = torture(args.main_args, args.root, args.kills, args.seed, args.term_every,
                     args.timeout)
  for problem in problems:
    print('DIFFERS:', problem)
  print('bitwise equal to the uninterrupted run' if not problems else
        f'{len(problems)} difference(s)')
  sys.exit(1 if problems else 0)


if __name__ == '__main__':
  main()
