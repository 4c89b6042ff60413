"""Restores a stage's newest checkpoint on this job's topology, sharded by
each STRATEGY in turn, and prints (process 0) a JSON line per strategy: the
step, the per-array checksums and how many arrays are sharded.

  python -m transfer.launch --processes=2 -- tests/restore_stage.py STAGE_DIR STRATEGY...

Used by tests/test_multihost.py to move checkpoints between topologies.
"""

import json
import sys

from transfer import multihost


def restore(stage_dir: str, strategy: str = 'data_parallel', devices=None):
  """(step, state) of the stage in `stage_dir`, sharded by `strategy` over
  `devices` (default: every device of the job)."""
  import ml_collections  # pylint: disable=g-import-not-at-top
  from transfer import checkpoints, optim, sharding, stages, trainer  # pylint: disable=g-import-not-at-top
  config = ml_collections.ConfigDict(stages.read_manifest(stage_dir)['config'])
  config.sharding.update(strategy=strategy, fsdp_min_size=256)
  stage = trainer.build_stage(config)
  tx, _ = optim.make_optimizer(config.optimizer, config.steps, 'config.optimizer')
  abstract, _ = trainer.abstract_state(stage, tx, sharding.make_mesh(devices=devices))
  step, state, _ = checkpoints.restore_latest(f'{stage_dir}/checkpoints', abstract, 'config')
  return step, state


if __name__ == '__main__':
  if '--distributed' in sys.argv:
    sys.argv.remove('--distributed')
    multihost.initialize()
  from transfer import checkpoints  # pylint: disable=g-import-not-at-top
  import jax  # pylint: disable=g-import-not-at-top
  for strategy in sys.argv[2:]:
    step, state = restore(sys.argv[1], strategy)
    sharded = sum(not x.sharding.is_fully_replicated for x in jax.tree.leaves(state))
    sums = checkpoints.checksums(state)  # A computation on every process.
    if multihost.is_zero():
      print(json.dumps({'step': step, 'checksums': sums, 'processes': jax.process_count(),
                        'sharded_arrays': sharded}), flush=True)
