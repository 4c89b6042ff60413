"""A study's graph, keys, results table and submission plan, without training."""

import collections
import csv
import io
import math
import os
import subprocess
import sys
import time

import pytest

from conftest import load_config
from transfer import results, runner, stages, study
from transfer.errors import UserError

SYNTHETIC = 'configs/study_synthetic.py'


def _roles(plans):
  return collections.Counter(p.role for p in plans)


def test_synthetic_study_trains_each_source_once_and_each_baseline_per_size_and_seed():
  plans = study.expand(load_config(SYNTHETIC))
  assert _roles(plans) == {'source': 3, 'baseline': 3 * 2 * 2, 'target': 3 * 3 * 2 * 2}
  by_key = {p.key: p for p in plans}
  assert len(by_key) == len(plans)
  transfers = [p for p in plans if p.role == 'target']
  for plan in transfers:
    source, baseline = by_key[plan.parent], by_key[plan.baseline]
    assert source.role == 'source' and baseline.role == 'baseline'
    assert plans.index(source) < plans.index(plan)
    # Same target, size and seed as its baseline; only the initialisation differs.
    same = lambda c: {k: v for k, v in c.to_dict().items() if k != 'init'}
    assert same(plan.config) == same(baseline.config)
    assert plan.config.init.kind == 'transfer' and baseline.config.init.kind == 'scratch'
  assert {(p.config.train_examples, p.config.seed) for p in transfers} == {
      (25, 0), (25, 1), (100, 0), (100, 1)}
  assert {p.config.seed for p in plans if p.role == 'source'} == {0}


def test_sources_per_seed_and_pair_selection():
  config = load_config(SYNTHETIC)
  config.source_per_seed = True
  plans = study.expand(config)
  assert _roles(plans)['source'] == 6
  by_key = {p.key: p for p in plans}
  assert all(by_key[p.parent].config.seed == p.config.seed for p in plans if p.parent)
  config.pairs = 'same_task'  # Only segmentation -> segmentation and depth -> depth.
  assert study.pairs(config) == [('underwater_depth', 'foggy_depth'), ('sunny_seg', 'indoor_seg')]
  assert len(study.pairs(load_config(SYNTHETIC).copy_and_resolve_references())) == 9
  config.pairs = 'cross_task'
  assert len(study.pairs(config)) == 9 - 2
  config.pairs = 'aerial_det:foggy_depth'
  assert _roles(study.expand(config)) == {'source': 2, 'baseline': 4, 'target': 4}


def test_same_dataset_and_task_pairs_need_self_transfer():
  config = load_config('configs/demo.py')
  config.targets.foggy_depth.dataset = 'synthetic_sunny'
  config.targets.foggy_depth.task = config.sources.sunny_seg.task
  assert study.pairs(config) == []
  config.self_transfer = True
  assert study.pairs(config) == [('sunny_seg', 'foggy_depth')]


def _keys(config):
  return {(p.role, p.where, p.name): p.key for p in study.expand(config)}


def test_keys_follow_what_produced_the_stage():
  before = _keys(load_config(SYNTHETIC))
  assert _keys(load_config(SYNTHETIC)) == before  # Deterministic.

  config = load_config(SYNTHETIC)
  config.targets.indoor_seg.steps = 50
  changed = {k for k, v in _keys(config).items() if before[k] != v}
  assert changed == {k for k in before if k[1] == 'config.targets.indoor_seg'}

  config = load_config(SYNTHETIC)
  config.sources.sunny_seg.optimizer.learning_rate = 1e-3
  after = _keys(config)
  changed = {k for k in before if before[k] != after[k]}
  # The source and, through their parent key, its transfers; no baseline.
  assert ('source', 'config.sources.sunny_seg', 'synthetic_sunny-segmentation-s0-scratch') in changed
  assert not any(role == 'baseline' for role, *_ in changed)
  assert sum(role == 'target' for role, *_ in changed) == 3 * 2 * 2

  config = load_config(SYNTHETIC)  # Logging and visualisation cannot change a result.
  config.targets.indoor_seg.log_every = 1
  config.targets.indoor_seg.visualize.num_images = 0
  assert _keys(config) == before


def test_an_imagenet_start_is_keyed_by_the_checkpoint_content(tmp_path):
  checkpoint = tmp_path / 'imagenet' / 'checkpoints'
  (checkpoint / '0').mkdir(parents=True)
  (checkpoint / '0' / 'weights').write_bytes(b'\x00' * 64)
  config = load_config('configs/demo.py')
  config.baseline.kind = 'ilsvrc'
  config.baseline.checkpoint = str(checkpoint)
  first = _keys(config)
  (checkpoint / '0' / 'weights').write_bytes(b'\x01' + b'\x00' * 63)
  second = _keys(config)
  baseline = ('baseline', 'config.targets.foggy_depth', 'synthetic_foggy-depth-n25-s0-ilsvrc')
  assert first[baseline] != second[baseline]
  assert {k: v for k, v in first.items() if k != baseline} == {
      k: v for k, v in second.items() if k != baseline}
  plan = [p for p in study.expand(config) if p.role == 'baseline'][0]
  assert plan.origin == f'imagenet:{study.fingerprint(str(checkpoint))}'
  assert plan.name.endswith('-ilsvrc')


def test_foi_segmentation_study_is_the_paper_matrix(tmp_path):
  config = load_config('configs/study_foi_segmentation.py')
  config.imagenet = str(tmp_path)
  plans = study.expand(config.copy_and_resolve_references())
  assert _roles(plans) == {'source': 17, 'baseline': 17, 'target': 17 * 16}
  assert all(p.config.model.backbone == 'hrnet' and p.config.model.hrnet.width == 48
             for p in plans)
  assert {p.origin for p in plans if p.role != 'target'} == {
      f'imagenet:{study.fingerprint(str(tmp_path))}'}


@pytest.mark.parametrize('key,value,where', [
    ('seeds', (), 'config.seeds'),
    ('seeds', (0, 0), 'config.seeds'),
    ('seeds', (-1,), 'config.seeds'),
    ('targets.foggy_depth.train_sizes', (0,), 'config.targets.foggy_depth.train_sizes'),
    ('sources.sunny_seg.steps', -5, 'config.sources.sunny_seg.steps'),
    ('pairs', 'sunny_seg:nowhere', 'config.pairs'),
    ('baseline.kind', 'ilsvrc', 'config.baseline.checkpoint'),
    ('sources.sunny_seg.init.kind', 'transfer', 'config.sources.sunny_seg.init.kind'),
])
def test_bad_study_values_name_their_key(key, value, where):
  config = load_config('configs/demo.py')
  *parents, leaf = key.split('.')
  node = config
  for part in parents:
    node = node[part]
  node[leaf] = value
  with pytest.raises(UserError) as error:
    study.expand(config)
  assert error.value.where == where


def _manifest(key, role, dataset, task, metric_value, *, parent=None, baseline=None,
              seed=0, size=25, metric='miou', higher=True, state='finished'):
  return {'key': key, 'role': role, 'dataset': dataset, 'domain': f'dom-{dataset}',
          'task': task, 'seed': seed, 'train_examples': size, 'parent': parent,
          'baseline': baseline, 'state': state, 'metric': metric,
          'higher_is_better': higher, 'metrics': {metric: metric_value}}


def _table():
  manifests = [
      _manifest('src', 'source', 'a', 'segmentation', 0.9, size=None),
      _manifest('b0', 'baseline', 't', 'depth', 0.20, metric='abs_rel', higher=False),
      _manifest('b1', 'baseline', 't', 'depth', 0.25, metric='abs_rel', higher=False, seed=1),
      _manifest('b2', 'baseline', 't', 'depth', 0.0, metric='abs_rel', higher=False, seed=2),
      _manifest('x0', 'target', 't', 'depth', 0.18, metric='abs_rel', higher=False,
                parent='src', baseline='b0'),
      _manifest('x1', 'target', 't', 'depth', 0.30, metric='abs_rel', higher=False,
                parent='src', baseline='b1', seed=1),
      _manifest('x2', 'target', 't', 'depth', 0.1, metric='abs_rel', higher=False,
                parent='src', baseline='b2', seed=2),
      _manifest('x3', 'target', 't', 'depth', 0.1, metric='abs_rel', higher=False,
                parent='src', baseline='b0', seed=3, state='running'),
  ]
  return results.rows({m['key']: m for m in manifests}, ['x0', 'x1', 'x2', 'x3'])


def test_results_rows_pair_each_transfer_with_its_baseline():
  table = _table()
  assert [r['transfer_key'] for r in table] == ['x0', 'x1', 'x2']  # x3 is not finished.
  first = table[0]
  assert (first['source_dataset'], first['source_domain'], first['source_task']) == (
      'a', 'dom-a', 'segmentation')
  assert (first['baseline'], first['transfer']) == (0.20, 0.18)
  assert first['relative_gain'] == pytest.approx(0.02 / 0.20)  # Lower is better.
  assert table[1]['relative_gain'] == pytest.approx(-0.05 / 0.25)
  assert table[2]['relative_gain'] is None and table[2]['absolute_gain'] == pytest.approx(-0.1)
  parsed = list(csv.DictReader(io.StringIO(results.to_csv(table))))
  assert tuple(parsed[0]) == results.COLUMNS
  assert float(parsed[1]['relative_gain']) == pytest.approx(-0.2)
  assert parsed[2]['relative_gain'] == '' and parsed[2]['higher_is_better'] == 'False'


def test_summary_gives_the_mean_gain_with_a_student_t_interval():
  (group,) = results.summary(_table())
  assert group['seeds'] == 3 and group['undefined'] == 1
  # Two defined gains, +0.1 and -0.2: mean -0.05, sd 0.3 / sqrt(2), and
  # t(0.975, 1 degree of freedom) = 12.7062047.
  half = 12.7062047 * (0.3 / math.sqrt(2)) / math.sqrt(2)
  assert group['mean_relative_gain'] == pytest.approx(-0.05)
  assert (group['low'], group['high']) == pytest.approx((-0.05 - half, -0.05 + half))
  text = results.format_summary([group])
  assert f'{-0.05 - half:+.2%}' in text and '1 seed(s) undefined' in text
  mean, low, high = results.mean_interval([0.3])
  assert mean == 0.3 and math.isnan(low) and math.isnan(high)


def _finish(root, plan, **fields):
  stage_dir = stages.directory(str(root), plan)
  os.makedirs(stage_dir, exist_ok=True)
  stages.write_json_atomic(os.path.join(stage_dir, stages.MANIFEST),
                           dict(stages.describe(plan), state='finished', **fields))


def test_print_commands_lists_unfinished_stages_in_dependency_order(tmp_path):
  plans = study.expand(load_config(SYNTHETIC))
  for plan in plans[:2]:
    _finish(tmp_path, plan)
  argv = ['main.py', '--config=configs/study_synthetic.py', '--workdir=/r', '--print_commands',
          '--config.seeds=(0, 1)']
  lines = runner.commands(plans, str(tmp_path), argv)
  assert len(lines) == len(plans) - 2
  assert lines[0] == ("python main.py --config=configs/study_synthetic.py --workdir=/r "
                      f"'--config.seeds=(0, 1)' --stage={plans[2].key}")
  assert [line.rsplit('=', 1)[1] for line in lines] == [p.key for p in plans[2:]]


class _FakeJob:
  def __init__(self, job_id):
    self.job_id = job_id

  def result(self):
    return None


class _FakeSlurm:
  """Records what the study asks of a SLURM executor."""

  def __init__(self):
    self.calls, self.dependency, self.count = [], None, 0

  def update_parameters(self, **kwargs):
    if 'slurm_additional_parameters' in kwargs:
      self.dependency = kwargs['slurm_additional_parameters'].get('dependency')

  def map_array(self, fn, *args):
    self.count += 1
    self.calls.append((fn.__name__, args[2], self.dependency))
    return [_FakeJob(f'{self.count}_{i}') for i in range(len(args[2]))]

  def submit(self, fn, *args):
    self.count += 1
    self.calls.append((fn.__name__, None, self.dependency))
    return _FakeJob(str(self.count))


def test_slurm_submission_is_one_array_per_level_chained_by_dependencies(tmp_path):
  config = load_config(SYNTHETIC)
  plans = study.expand(config)
  executor = _FakeSlurm()
  jobs = runner.submit(config, plans, str(tmp_path), executor, stages_per_task=4, slurm=True)
  (first, level0, dep0), (second, level1, dep1), (last, _, dep2) = executor.calls
  assert (first, second, last) == ('run_tasks', 'run_tasks', 'collect_task')
  assert [k for chunk in level0 for k in chunk] == [p.key for p in plans if not p.parent]
  assert [k for chunk in level1 for k in chunk] == [p.key for p in plans if p.parent]
  assert [len(c) for c in level1] == [4] * 9 and len(level0) == 4  # 15 = 4 + 4 + 4 + 3.
  assert (dep0, dep1, dep2) == (None, 'afterok:1', 'afterany:2')
  assert len(jobs) == 4 + 9 + 1


def test_a_dead_processes_lock_is_released(tmp_path):
  holder = subprocess.Popen(
      [sys.executable, '-c', 'import fcntl, sys, time; f = open(sys.argv[1], "a"); '
       'fcntl.flock(f, fcntl.LOCK_EX); print("held", flush=True); time.sleep(60)',
       str(tmp_path / stages.LOCK)], stdout=subprocess.PIPE, text=True)
  try:
    assert holder.stdout.readline().strip() == 'held'
    assert stages.is_locked(str(tmp_path))
    with stages.lock(str(tmp_path)) as held:
      assert not held
  finally:
    holder.kill()
    holder.wait()
  deadline = time.time() + 10
  while stages.is_locked(str(tmp_path)) and time.time() < deadline:
    time.sleep(0.05)
  with stages.lock(str(tmp_path)) as held:
    assert held
