"""Source features of a target's training images, and `python -m transfer.rank_sources`.

Grid labels and cell sampling are checked against closed forms; the sampled
features against the source model applied directly; the CLI on the demo
study's source stage (a segmentation model) for its depth target and for a
segmentation target named by dataset.
"""

import csv
import math
import shutil

import numpy as np
import pytest

from conftest import load_config, stage_manifests
from transfer import analysis, rank_sources, runner
from transfer.errors import UserError
from transfer import source_features as sf
from transfer.data import augment, catalog, pipeline


def _info(**kwargs):
  return catalog.DatasetInfo(name='t', tfds_name='t', builder_module='t', domain='d',
                             tasks=('segmentation',), **kwargs)


def test_grid_labels_take_the_nearest_pixel_and_drop_the_invalid():
  values = np.arange(64).reshape(8, 8)
  example = {'image': np.zeros((8, 8, 3), np.uint8), 'segmentation': values[..., None],
             'depth': np.where(values % 5 == 0, 0.0, values + 1.0)[..., None]}
  info = _info(class_names=tuple(map(str, range(60))))
  # A 2 x 4 grid samples rows floor((i + 0.5) * 8 / 2) = 2, 6 and columns 1, 3, 5, 7.
  expected = values[[2, 6]][:, [1, 3, 5, 7]]
  np.testing.assert_array_equal(sf.grid_labels(example, 'segmentation', info, (2, 4)),
                                np.where(expected < 60, expected, -1))
  depth = sf.grid_labels(example, 'depth', info, (2, 4))
  np.testing.assert_allclose(depth, np.where(expected % 5 == 0, np.nan, np.log(expected + 1.0)))


def test_object_targets_paint_their_boxes_over_a_background_class():
  info = _info(object_class_names=('a', 'b'), class_names=('x', 'y'))
  example = {'image': np.zeros((8, 8, 3), np.uint8),
             'boxes': np.array([[0, 0, .5, .5], [.25, .25, 1, 1], [0, .5, .5, 1], [0, 0, 0, 0]]),
             'labels': np.array([0, 1, 1, 0]), 'objects_valid': np.array([1, 1, 1, 0], bool),
             'is_crowd': np.array([0, 0, 1, 0], bool)}
  # Cell centres of a 4 x 4 grid at 1/8, 3/8, 5/8, 7/8; the crowd box and the
  # padding slot paint nothing; background is class 2.
  np.testing.assert_array_equal(sf.grid_labels(example, 'detection', info, (4, 4)),
                                [[0, 0, 2, 2], [0, 1, 1, 1], [2, 1, 1, 1], [2, 1, 1, 1]])


def test_cells_are_distinct_valid_and_class_balanced():
  labels = np.array([0] * 900 + [1] * 90 + [-1] * 10)
  weights = 1 / np.bincount(labels[labels >= 0])
  cells = sf.sample_cells(labels, False, 100, weights, np.random.default_rng(0))
  assert len(cells) == len(set(cells)) == 100 and (labels[cells] >= 0).all()
  # Equal weight per class: about half the draws are the rare class.
  assert 35 <= (labels[cells] == 1).sum() <= 65
  uniform = sf.sample_cells(labels, False, 100, None, np.random.default_rng(0))
  assert (labels[uniform] == 1).sum() < 25
  few = sf.sample_cells(labels, False, 2000, weights, np.random.default_rng(0))
  np.testing.assert_array_equal(few, np.flatnonzero(labels >= 0))


def _demo_stages(root):
  manifests = stage_manifests(root).values()
  source = next(d for d, m in manifests if m['role'] == 'source')
  target = next(d for d, m in manifests if m['role'] == 'target')
  return source, target


def test_sampled_features_are_the_source_models_at_the_sampled_cells(demo_run,
                                                                     synthetic_data_dir):
  root, _ = demo_run
  source, target_dir = _demo_stages(root)
  target = sf.Target.of_stage(sf.finished_manifest(target_dir, 'test'))
  sample = sf.sample(source, target, synthetic_data_dir, pixels_per_image=50)
  assert sample.regression  # a depth target, from a segmentation source with its head:
  np.testing.assert_allclose(sample.source_probs.sum(-1), 1, rtol=1e-6)
  images = sample.positions[:, 0]
  assert np.bincount(images).max() <= 50 and len(np.unique(images)) == target.train_examples
  # The first image again, by hand: its features and log depth at the cells.
  stage, variables = sf.load_source(source, 'test')
  info = catalog.get(target.dataset)
  builder = pipeline.load_builder(info, synthetic_data_dir, ('train',), 'test')
  reader = pipeline.Reader(builder, 'train', ('depth',), 4)
  first = pipeline.subset_indices(len(reader), target.train_examples, target.train_subset_seed)[0]
  example = augment.resize(reader[first], target.input_size(info), info)
  features = np.asarray(stage.model.apply(variables, example['image'][None], method='features'))[0]
  mine = images == 0
  rows, cols = sample.positions[mine, 1], sample.positions[mine, 2]
  np.testing.assert_allclose(sample.features[mine], features[rows, cols], rtol=1e-5, atol=1e-5)
  height, width = example['image'].shape[:2]
  grid = features.shape[:2]
  pixel_rows = ((rows + 0.5) * height / grid[0]).astype(int)
  pixel_cols = ((cols + 0.5) * width / grid[1]).astype(int)
  np.testing.assert_allclose(sample.labels[mine],
                             np.log(example['depth'][pixel_rows, pixel_cols, 0]), rtol=1e-6)


def test_rank_sources_cli_scores_and_ranks(demo_run, synthetic_data_dir, tmp_path, capsys):
  root, _ = demo_run
  _, target_dir = _demo_stages(root)
  out = tmp_path / 'ranks.csv'
  assert rank_sources.main([f'--target={target_dir}', f'--sources={root}',
                            f'--data_dir={synthetic_data_dir}', f'--out={out}',
                            '--pixels_per_image=40']) == 0
  [row] = list(csv.DictReader(out.open()))
  # A depth target: LogME on log depth only.
  assert math.isfinite(float(row['logme'])) and row['logme_rank'] == '1'
  assert all(row[m] == '' for m in rank_sources.METRICS if m != 'logme')  # NaN
  assert 'logme (rank)' in capsys.readouterr().out
  # A segmentation target by dataset name: every metric, LEEP from the
  # source's segmentation head.
  assert rank_sources.main(['--target=synthetic_foggy', '--task=segmentation',
                            '--train_examples=6', f'--sources={root}', '--pixels_per_image=40',
                            f'--data_dir={synthetic_data_dir}', f'--out={out}']) == 0
  [row] = list(csv.DictReader(out.open()))
  assert all(math.isfinite(float(row[m])) for m in rank_sources.METRICS), row


@pytest.mark.parametrize('args,message', [
    (['--target=synthetic_foggy'], 'needs --task'),
    (['--target=nowhere', '--task=segmentation'], "Unknown dataset 'nowhere'"),
    (['--target=synthetic_foggy', '--task=segmentation', '--metrics=logme,magic'],
     "Unknown metric(s) ['magic']"),
])
def test_bad_arguments_are_one_clear_error(args, message, demo_run, capsys):
  root, _ = demo_run
  assert rank_sources.main([*args, f'--sources={root}']) == 1
  err = capsys.readouterr().err
  assert message in err and 'how to fix' in err and 'Traceback' not in err


def test_a_path_that_is_no_stage_is_named(tmp_path, capsys):
  assert rank_sources.main(['--target=synthetic_foggy', '--task=segmentation',
                            f'--sources={tmp_path}']) == 1
  assert 'neither a stage directory nor a study root' in capsys.readouterr().err


def _demo_config(data_dir, **transferability):
  config = load_config('configs/demo.py', 'smoke')
  config.data_dir = data_dir
  config.transferability.update(transferability)
  return config


def test_a_study_scores_its_pairs_into_results_csv(demo_run, synthetic_data_dir, tmp_path):
  root = str(tmp_path / 'root')
  shutil.copytree(demo_run[0], root)
  config = _demo_config(synthetic_data_dir, metrics=('all',), pixels_per_image=40)
  plans = runner.plan(config)
  assert runner.score(config, plans, root) == 1
  assert runner.score(config, plans, root) == 0  # cached in ROOT/transferability
  [row] = runner.collect(plans, root, config)
  assert math.isfinite(row['score_logme']) and row['score_hscore'] is None  # a depth target
  with open(f'{root}/results.csv') as f:
    header = next(csv.reader(f))
  assert header[-len(rank_sources.METRICS):] == sorted(f'score_{m}' for m in rank_sources.METRICS)
  scores = analysis.load(root).scores
  assert set(scores.score_name) == {'logme'}
  # Without the option the same study writes no score columns.
  [row] = runner.collect(plans, root, _demo_config(synthetic_data_dir))
  assert not any(k.startswith('score_') for k in row)


@pytest.mark.parametrize('key,value,message', [
    ('metrics', ('logme', 'magic'), 'transferability.metrics must name'),
    ('pixels_per_image', 0, 'pixels_per_image must be an integer >= 1'),
])
def test_bad_transferability_settings_name_the_key(key, value, message):
  config = _demo_config(None)
  config.transferability[key] = value
  with pytest.raises(UserError, match=message) as error:
    runner.plan(config)
  assert error.value.where == f'config.transferability.{key}'
