"""A catalogue of bad inputs, each stopped by one clear error: what, where, how to fix.

The rule (transfer/errors.py): a bad config key or value, dataset,
checkpoint, image, command line or a NaN raises one UserError, which main.py
prints as `error:` with `where:` and `how to fix:` lines and exit status 1:
no traceback, no results written, nothing overwritten. Most cases call the
check in-process (well under a second each); five run main.py, all started
at once, to prove the exit status and that the workdir is left as it was.
Bad inputs tested elsewhere (test_main.py, test_runner.py, test_study.py,
test_features.py, test_trainer.py, builders/) are not repeated here.
"""

import functools
import glob
import json
import os
import re
import shutil

import jax
import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

from conftest import REPO, load_config, main, tree_digest
from transfer import checkpoints, config_base, optim, runner, stages, trainer
from transfer.data import builders, catalog, features
from transfer.errors import UserError


def _demo(**changes):
  """The demo's smoke study with `changes` (dotted key: value) written into
  it as a config file can: a value of any type, a key that does not exist."""
  config = load_config('configs/demo.py', 'smoke')
  for key, value in changes.items():
    *parents, leaf = key.split('.')
    node = functools.reduce(lambda node, part: node[part], parents, config)
    with node.unlocked():
      if leaf in node:
        del node[leaf]  # ConfigDict keeps a field's type; a config file can change it.
      node[leaf] = value
  return config


def _error(fn, *args) -> UserError:
  with pytest.raises(UserError) as error:
    fn(*args)
  return error.value


# ----------------------------------------------------------- main.py runs --

# {case: (main.py arguments, what stderr says)}; WORKDIR is a directory that
# holds one earlier file, TFDS a data dir for the tiny datasets.
MAIN_CASES = {
    'no-workdir': (
        ('--config=configs/demo.py:smoke',),
        ('error: --workdir is missing.', 'where: the command line',
         'how to fix: pass --config=FILE[:VARIANT]')),
    'workdir-is-a-file': (
        ('--config=configs/demo.py:smoke', '--workdir=WORKDIR/earlier.txt'),
        ('is a file, not a directory', 'where: --workdir=WORKDIR/earlier.txt',
         'how to fix: pass a directory you can write to')),
    'missing-config-file': (
        ('--config=configs/no_such_study.py', '--workdir=WORKDIR'),
        ("error: Cannot open the config file: [Errno 2] No such file or directory: "
         "'configs/no_such_study.py'", 'where: --config=configs/no_such_study.py',
         'how to fix: name a config file')),
    'unknown-variant': (
        ('--config=configs/demo.py:tiny', '--workdir=WORKDIR'),
        ("unknown variant 'tiny' of configs/demo.py: use --config=configs/demo.py or "
         '--config=configs/demo.py:smoke', 'where: --config=configs/demo.py:tiny',
         'how to fix: fix the config file, or pass a variant it takes')),
    # Adam with no warmup: step 1 moves every weight by about 1e30, and the
    # loss of step 2 is NaN.
    'nan-loss': (
        ('--config=configs/demo.py:smoke', '--workdir=WORKDIR', '--config.data_dir=TFDS',
         '--config.sources.sunny_seg.dataset=synthetic_sunny?train=8&validation=8',
         '--config.targets.foggy_depth.dataset=synthetic_foggy?train=8&validation=8',
         '--config.sources.sunny_seg.optimizer.learning_rate=1e30',
         '--config.sources.sunny_seg.optimizer.warmup_steps=0'),
        ('where: config.sources.sunny_seg.optimizer',
         'how to fix: lower config.sources.sunny_seg.optimizer.learning_rate')),
}


@pytest.fixture(scope='module')
def main_runs(tmp_path_factory, xla_cache):
  """Starts every main.py run of MAIN_CASES at once (most of each is
  importing, so together they take about as long as the longest); yields
  {case: (workdir, its digest before, process, log prefix)}."""
  root = tmp_path_factory.mktemp('main_runs')
  runs = {}
  for case, (args, _) in MAIN_CASES.items():
    workdir = root / case
    workdir.mkdir()
    (workdir / 'earlier.txt').write_text('a result of an earlier run')
    args = [a.replace('WORKDIR', str(workdir)).replace('TFDS', str(root / 'tfds')) for a in args]
    log = str(root / case)
    runs[case] = (workdir, tree_digest(workdir), main(*args, cache=xla_cache, log=log), log)
  yield runs
  for _, _, process, _ in runs.values():
    if process.poll() is None:  # Left running by a failed test (-x).
      process.kill()


def _finished(run, case):
  """(workdir, digest before, stderr) once `case` has exited with one clear error."""
  workdir, before, process, log = run
  assert process.wait(timeout=600) == 1
  with open(f'{log}.err') as f:
    stderr = f.read().replace(str(workdir), 'WORKDIR')
  assert 'Traceback' not in stderr, stderr[-3000:]
  assert stderr.count('error: ') == 1, stderr[-3000:]
  for needle in MAIN_CASES[case][1]:
    assert needle in stderr, stderr[-3000:]
  assert not (workdir / 'results.csv').exists()
  return workdir, before, stderr


@pytest.mark.parametrize('case', [c for c in MAIN_CASES if c != 'nan-loss'])
def test_main_stops_before_anything_runs(main_runs, case):
  workdir, before, _ = _finished(main_runs[case], case)
  assert tree_digest(workdir) == before  # Nothing written, nothing overwritten.


# -------------------------------------------------------------- configs --

# (config changes, where, what, how to fix); run through runner.plan.
PLAN_CASES = [
    # Keys a config file can misspell (the command line refuses them: test_main.py).
    pytest.param({'targets.foggy_depth.eval_evry': 5}, 'config.targets.foggy_depth.eval_evry',
                 "Unknown config key 'eval_evry'", 'eval_every', id='misspelt-key'),
    pytest.param({'sources.sunny_seg.input.batchsize': 4},
                 'config.sources.sunny_seg.input.batchsize', "Unknown config key 'batchsize'",
                 'batch_size', id='misspelt-nested-key'),
    pytest.param({'model.convnet.widht': 8}, 'config.model.convnet.widht',
                 "Unknown config key 'widht'", 'width', id='misspelt-model-key'),
    # Types a config file can write (the command line converts: test_main.py).
    pytest.param({'sources.sunny_seg.input.batch_size': '16'},
                 'config.sources.sunny_seg.input.batch_size',
                 "input.batch_size must be an integer >= 1, got '16' (a string)",
                 'set it to an integer >= 1', id='string-batch-size'),
    pytest.param({'targets.foggy_depth.optimizer.learning_rate': '1e-3'},
                 'config.targets.foggy_depth.optimizer.learning_rate',
                 "got '1e-3' (a string)", 'a finite number > 0', id='string-learning-rate'),
    pytest.param({'targets.foggy_depth.steps': 2.5}, 'config.targets.foggy_depth.steps',
                 'steps must be an integer >= 0, got 2.5', 'integer >= 0', id='fractional-steps'),
    pytest.param({'targets.foggy_depth.steps': -1}, 'config.targets.foggy_depth.steps',
                 'steps must be an integer >= 0, got -1', 'integer >= 0', id='negative-steps'),
    pytest.param({'targets.foggy_depth.train_sizes': ('25',)},
                 'config.targets.foggy_depth.train_sizes',
                 "A train size must be an integer >= 1, got '25'", 'integer >= 1',
                 id='string-train-size'),
    pytest.param({'seeds': (0.5,)}, 'config.seeds', 'A seed must be an integer >= 0, got 0.5',
                 'integer >= 0', id='fractional-seed'),
    # Values out of range.
    pytest.param({'sources.sunny_seg.input.batch_size': 0},
                 'config.sources.sunny_seg.input.batch_size',
                 'input.batch_size must be an integer >= 1, got 0',
                 '--config.sources.sunny_seg.input.batch_size=VALUE', id='zero-batch-size'),
    pytest.param({'targets.foggy_depth.input.eval_batch_size': -8},
                 'config.targets.foggy_depth.input.eval_batch_size', 'got -8', 'integer >= 1',
                 id='negative-eval-batch-size'),
    pytest.param({'sources.sunny_seg.input.size': (64,)}, 'config.sources.sunny_seg.input.size',
                 'input.size must be None or (height, width), two integers >= 1, got (64,)',
                 '(height, width)', id='one-sided-size'),
    pytest.param({'targets.foggy_depth.input.size': (0, 64)},
                 'config.targets.foggy_depth.input.size', 'got (0, 64)', '(height, width)',
                 id='zero-size'),
    pytest.param({'targets.foggy_depth.input.eval_size': (64, -32)},
                 'config.targets.foggy_depth.input.eval_size', 'got (64, -32)',
                 '(height, width)', id='negative-eval-size'),
    pytest.param({'sources.sunny_seg.input.scale_range': (1.5, 0.75)},
                 'config.sources.sunny_seg.input.scale_range',
                 'input.scale_range must be (low, high), two numbers with 0 < low <= high',
                 '0 < low <= high', id='reversed-scale-range'),
    pytest.param({'sources.sunny_seg.input.scale_range': (0.0, 1.0)},
                 'config.sources.sunny_seg.input.scale_range', 'got (0.0, 1.0)',
                 '0 < low <= high', id='zero-scale'),
    pytest.param({'sources.sunny_seg.input.max_objects': 0},
                 'config.sources.sunny_seg.input.max_objects', 'got 0', 'integer >= 1',
                 id='no-objects'),
    pytest.param({'targets.foggy_depth.input.color_jitter': 1.5},
                 'config.targets.foggy_depth.input.color_jitter',
                 'input.color_jitter must be a number in [0, 1], got 1.5', '[0, 1]',
                 id='color-jitter-above-one'),
    pytest.param({'sources.sunny_seg.log_every': 0}, 'config.sources.sunny_seg.log_every',
                 'log_every must be an integer >= 1', 'integer >= 1', id='zero-log-every'),
    pytest.param({'sources.sunny_seg.eval_every': 0}, 'config.sources.sunny_seg.eval_every',
                 'eval_every must be an integer >= 1', 'integer >= 1', id='zero-eval-every'),
    pytest.param({'targets.foggy_depth.checkpoint_every': -1},
                 'config.targets.foggy_depth.checkpoint_every', 'got -1', 'integer >= 1',
                 id='negative-checkpoint-every'),
    pytest.param({'targets.foggy_depth.keep_checkpoints': 0},
                 'config.targets.foggy_depth.keep_checkpoints', 'got 0', 'integer >= 1',
                 id='no-checkpoints-kept'),
    pytest.param({'sources.sunny_seg.optimizer.learning_rate': 0.0},
                 'config.sources.sunny_seg.optimizer.learning_rate',
                 'optimizer.learning_rate must be a finite number > 0, got 0.0',
                 'a finite number > 0', id='zero-learning-rate'),
    pytest.param({'sources.sunny_seg.optimizer.warmup_steps': -10},
                 'config.sources.sunny_seg.optimizer.warmup_steps', 'got -10', 'integer >= 0',
                 id='negative-warmup'),
    # Numerics.
    pytest.param({'sources.sunny_seg.optimizer.learning_rate': float('nan')},
                 'config.sources.sunny_seg.optimizer.learning_rate', 'got nan',
                 'a finite number > 0', id='nan-learning-rate'),
    pytest.param({'targets.foggy_depth.optimizer.learning_rate': float('inf')},
                 'config.targets.foggy_depth.optimizer.learning_rate', 'got inf',
                 'a finite number > 0', id='infinite-learning-rate'),
    # Datasets and tasks by name.
    pytest.param({'targets.foggy_depth.dataset': 'ade20k'}, 'config.targets.foggy_depth.task.name',
                 "Dataset 'ade20k' has no depth annotations", 'pick a task among its annotations',
                 id='task-the-dataset-lacks'),
    pytest.param({'sources.sunny_seg.dataset': 'synthetic_suny'},
                 'config.sources.sunny_seg.dataset', "Unknown dataset 'synthetic_suny'",
                 'synthetic_sunny', id='misspelt-dataset'),
]


@pytest.mark.parametrize('changes,where,what,fix', PLAN_CASES)
def test_bad_config_is_one_error_naming_its_key(changes, where, what, fix):
  error = _error(runner.plan, _demo(**changes))
  assert error.where == where, error
  assert what in error.what and fix in error.fix, error


def test_zero_steps_only_evaluates_and_is_allowed():
  config = _demo()
  # As a config file writes it: config_base sets eval_every = steps = 0.
  config.targets.foggy_depth = config_base.target(
      'synthetic_foggy', config_base.task('depth'), steps=0, train_sizes=(25,))
  assert config.targets.foggy_depth.eval_every == 0
  assert [p.config.steps for p in runner.plan(config) if p.role != 'source'] == [0, 0]


# ------------------------------------------------------------- datasets --

def test_unprepared_dataset_says_how_to_prepare_it(tmp_path):
  plans = runner.plan(_demo(**{'sources.sunny_seg.dataset': 'nyu_depth_v2'}))
  error = _error(runner.check_data, plans, str(tmp_path))
  assert "Dataset 'nyu_depth_v2' is not prepared" in error.what
  assert error.where == 'config.sources.sunny_seg.dataset'
  assert 'python -m transfer.data.build nyu_depth_v2' in error.fix


def _example():
  """A valid 10x20 example of a dataset of 6 classes and ignore label 255."""
  return builders.example(np.zeros((10, 20, 3), np.uint8), ignore_label=255, num_keypoints=0,
                          segmentation=np.full((10, 20), 2), depth=np.full((10, 20), 3.0))


def _set(key, value):
  return lambda example: example.__setitem__(key, value)


def _set_pixel(key, value):
  return lambda example: example[key].__setitem__((3, 4, 0), value)


# (edit of a valid example, what features.invalid says)
EXAMPLE_CASES = [
    pytest.param(_set('image', np.zeros((10, 20, 3), np.float32)),
                 'the image is float32 of shape (10, 20, 3), not uint8 [H, W, 3]',
                 id='float-image'),
    pytest.param(_set('image', np.zeros((10, 20), np.uint8)), 'of shape (10, 20), not uint8',
                 id='grey-image-without-channels'),
    pytest.param(_set('segmentation', np.zeros((10, 20), np.uint16)),
                 'segmentation is uint16 of shape (10, 20), not integer [10, 20, 1]',
                 id='segmentation-without-channel'),
    pytest.param(_set('segmentation', np.zeros((10, 20, 1), np.float32)),
                 'segmentation is float32', id='float-segmentation'),
    pytest.param(_set('depth', np.ones((5, 20, 1), np.float32)),
                 'depth is float32 of shape (5, 20, 1), not floating [10, 20, 1] '
                 '(its image is 10x20)', id='depth-of-another-size'),
    pytest.param(_set_pixel('segmentation', 6),
                 'segmentation pixel (row, column) = (3, 4) has class id 6, outside [0, 6) and '
                 'not the ignore label 255', id='label-out-of-range'),
    pytest.param(_set_pixel('depth', np.nan), 'depth pixel (row, column) = (3, 4) is nan',
                 id='nan-depth'),
    pytest.param(_set_pixel('depth', -1.0), 'depth pixel (row, column) = (3, 4) is -1.0',
                 id='negative-depth'),
]


@pytest.mark.parametrize('edit,problem', EXAMPLE_CASES)
def test_bad_example_is_named(edit, problem):
  example = _example()
  assert features.invalid(example, 6, 255) is None
  example['segmentation'][0, 0] = 255  # The ignore label is not out of range.
  assert features.invalid(example, 6, 255) is None
  edit(example)
  assert problem in features.invalid(example, 6, 255)


ADE_TRAIN = 'ADEChallengeData2016/images/training'
ADE_LABELS = 'ADEChallengeData2016/annotations/training'


def _truncate(path):
  with open(path, 'rb') as f:
    data = f.read()
  with open(path, 'wb') as f:
    f.write(data[:len(data) // 2])


def _label_200(manual):  # Raw 200 is class 199 of ADE20K's 150.
  path = manual / ADE_LABELS / 'ADE_train_00000001.png'
  labels = np.array(Image.open(path))
  labels[5, 7] = 200
  Image.fromarray(labels).save(path)


STEPS = 'Download ADEChallengeData2016.zip'  # The manual download steps.
# (edit of ADE20K's dummy download, the file `where` names (None: the builder
# module), what the error says, how to fix)
DOWNLOAD_CASES = [
    pytest.param(lambda manual: shutil.rmtree(manual / ADE_TRAIN), None,
                 "Dataset 'ade20k': split 'train' has no examples", STEPS, id='empty-split'),
    pytest.param(lambda manual: _truncate(manual / ADE_TRAIN / 'ADE_train_00000001.jpg'),
                 f'{ADE_TRAIN}/ADE_train_00000001.jpg', 'cannot be read (OSError', STEPS,
                 id='corrupt-jpeg'),
    pytest.param(lambda manual: _truncate(manual / ADE_LABELS / 'ADE_train_00000002.png'),
                 f'{ADE_LABELS}/ADE_train_00000002.png', 'cannot be read (OSError', STEPS,
                 id='corrupt-png'),
    pytest.param(_label_200, None, "split 'train', example 'ADE_train_00000001': segmentation "
                 'pixel (row, column) = (5, 7) has class id 199, outside [0, 150)',
                 'convert its source annotations into the example format',
                 id='labels-out-of-range'),
]


@pytest.mark.parametrize('edit,bad_file,what,fix', DOWNLOAD_CASES)
def test_bad_download_stops_the_build_naming_the_file(tmp_path, edit, bad_file, what, fix):
  manual = tmp_path / 'manual'
  shutil.copytree(os.path.join(REPO, 'datasets', 'ade20k', 'dummy_data'), manual)
  edit(manual)
  builder = catalog.builder(catalog.get('ade20k'), str(tmp_path / 'data'))
  download = tfds.download.DownloadConfig(manual_dir=str(manual))
  error = _error(functools.partial(builder.download_and_prepare, download_config=download))
  assert what in error.what and fix in error.fix
  assert error.where == (str(manual / bad_file) if bad_file else 'transfer_datasets.ade20k.ade20k')
  assert not glob.glob(str(tmp_path / 'data' / '**' / 'dataset_info.json'), recursive=True)


# ---------------------------------------------------------- checkpoints --

def _abstract_state(backbone='convnet', width=8):
  """The train state of a tiny segmentation stage, as shapes (nothing is
  computed): a convnet of `width`, or a tiny ResNet-18."""
  config = config_base.stage('synthetic_sunny', config_base.task('segmentation', head_features=8),
                             steps=2, size=(32, 32))
  config.model.backbone, config.model.convnet.width = backbone, width
  config.model.resnet.update(depth=18, width=8, output_features=16)
  stage = trainer.build_stage(config)
  tx, _ = optim.make_optimizer(config.optimizer, config.steps, 'test')
  device = jax.sharding.SingleDeviceSharding(jax.devices()[0])
  shapes = jax.eval_shape(functools.partial(trainer.init_state, stage, tx, batch_size=1),
                          jax.random.key(0))
  return jax.tree.map(lambda s: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=device), shapes)


@pytest.fixture(scope='module')
def source_checkpoints(tmp_path_factory):
  """A source stage's checkpoints/ (convnet width 8, random values, step 2)."""
  directory = str(tmp_path_factory.mktemp('source') / 'checkpoints')
  rng = np.random.default_rng(0)
  state = jax.tree.map(lambda s: rng.standard_normal(s.shape).astype(s.dtype), _abstract_state())
  manager = checkpoints.manager(directory)
  checkpoints.save(manager, 2, state, {'input': {}}, force=True)
  manager.wait_until_finished()
  manager.close()
  return directory


def _emptied(directory):
  for step in os.listdir(directory):
    shutil.rmtree(os.path.join(directory, step))


def _not_a_checkpoint(directory):
  os.makedirs(os.path.join(directory, '3'))
  with open(os.path.join(directory, '3', 'state'), 'w') as f:
    f.write('notes')


def _truncated(directory):
  for path in glob.glob(os.path.join(directory, '*', 'state', 'ocdbt.process_0', 'd', '*')):
    _truncate(path)


# (target model, edit of a copy of the source checkpoints, what the error says)
CHECKPOINT_CASES = [
    pytest.param({'backbone': 'resnet'}, None,
                 'array(s) to load are not in the source: params/backbone/',
                 id='another-architecture'),
    pytest.param({'width': 12}, None, 'shape mismatch(es): params/backbone/', id='other-shapes'),
    pytest.param({}, _emptied, 'No checkpoint found in', id='empty-checkpoint-dir'),
    pytest.param({}, _not_a_checkpoint, 'Cannot read the checkpoint', id='not-a-checkpoint'),
    pytest.param({}, _truncated, '(step 2) is damaged: it cannot be read', id='truncated'),
]


@pytest.mark.parametrize('model,edit,what', CHECKPOINT_CASES)
def test_bad_source_checkpoint_is_refused_and_kept(source_checkpoints, tmp_path, model, edit,
                                                   what):
  directory = str(tmp_path / 'checkpoints')
  shutil.copytree(source_checkpoints, directory)
  if edit:
    edit(directory)
  before = tree_digest(directory)
  error = _error(checkpoints.restore_subset, directory, _abstract_state(**model),
                 config_base.BACKBONE_RULES, config_base.HEAD_RULES, 'config.targets.t.init')
  assert what in error.what and directory in error.what
  assert error.where == 'config.targets.t.init' and error.fix
  assert tree_digest(directory) == before


def test_transfer_from_an_unfinished_source_stage_is_refused(tmp_path):
  source, _, transfer = runner.plan(_demo())
  error = _error(stages.train, transfer, str(tmp_path), None, source)
  assert error.what == f'Source stage {source.key} is not started, not finished.'
  assert error.where == f'config.targets.foggy_depth (stage {transfer.dirname})'
  assert 'source finishes first' in error.fix
  assert stages.read_manifest(stages.directory(str(tmp_path), transfer)) is None


# ------------------------------------------------------------- numerics --

def test_nan_loss_stops_the_stage_naming_the_step(main_runs):
  workdir, _, stderr = _finished(main_runs['nan-loss'], 'nan-loss')  # No results.csv.
  step = re.search(r'error: Training diverged at step (\d+)', stderr)
  assert step, stderr[-3000:]
  (manifest_path,) = glob.glob(str(workdir / 'stages' / '*' / 'manifest.json'))
  with open(manifest_path) as f:
    manifest = json.load(f)  # Only the source started.
  assert manifest['role'] == 'source' and manifest['state'] == 'failed'
  assert f'diverged at step {step[1]}' in manifest['error']
  assert (workdir / 'earlier.txt').read_text() == 'a result of an earlier run'
