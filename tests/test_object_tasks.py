"""Detection and keypoint tasks: targets, losses, decoding and evaluation.

Perfect head outputs, built by hand from the ground truth, must decode to
exactly the ground truth and score AP = 1; the focal loss and heatmaps are
checked against direct numpy formulas.
"""

import jax.numpy as jnp
import numpy as np
import pytest

from transfer import config_base
from transfer.data import catalog
from transfer.tasks import detection, keypoints, objects

GRID = (16, 20)
IMAGE_HW = (64, 80)  # 4x the grid, as the backbone's 1/4 resolution.
CLASSES = ('a', 'b', 'c')


def _info(**kwargs):
  return catalog.DatasetInfo(
      name='t', tfds_name='t', builder_module='t', domain='d',
      tasks=('boxes', 'keypoints'), class_names=CLASSES, num_keypoints=3,
      keypoint_flip_map=(0, 2, 1), oks_sigmas=(0.05, 0.07, 0.07), **kwargs)


def _batch():
  """Two examples, 4 object slots: 3 objects + padding, then 1 object."""
  boxes = np.zeros((2, 4, 4), np.float32)
  boxes[0, :3] = [[0.10, 0.10, 0.45, 0.30], [0.50, 0.55, 0.90, 0.95],
                  [0.20, 0.60, 0.40, 0.80]]
  boxes[1, 0] = [0.30, 0.20, 0.80, 0.70]
  labels = np.array([[0, 2, 1, 0], [1, 0, 0, 0]], np.int32)
  valid = np.array([[True, True, True, False], [True, False, False, False]])
  kps = np.zeros((2, 4, 3, 3), np.float32)
  for b, n in zip(*np.nonzero(valid)):
    y0, x0, y1, x1 = boxes[b, n]
    kps[b, n] = [[y0 + 0.3 * (y1 - y0), (x0 + x1) / 2, 2],
                 [y0 + 0.7 * (y1 - y0), x0 + 0.2 * (x1 - x0), 2],
                 [y0 + 0.7 * (y1 - y0), x0 + 0.8 * (x1 - x0), 1]]
  kps[0, 2, 2] = 0  # One unlabelled keypoint.
  hw = np.array(IMAGE_HW, np.float32)
  areas = np.prod((boxes[..., 2:] - boxes[..., :2]) * hw, -1)
  return {'boxes': boxes, 'labels': labels, 'objects_valid': valid,
          'is_crowd': np.zeros_like(valid), 'areas': areas, 'keypoints': kps,
          'image_hw': np.tile(np.array(IMAGE_HW, np.int32), (2, 1)),
          '_valid': np.array([True, True])}


def _logit(p):
  p = np.clip(p, 1e-6, 1 - 1e-6)
  return np.log(p / (1 - p))


def _paint(shape, cells, values):
  """A [B, h, w, D] map holding `values` [B, N, D] at `cells` [B, N, 2]."""
  out = np.zeros(shape, np.float32)
  for b in range(cells.shape[0]):
    for (y, x), v in zip(cells[b], values[b]):
      out[b, y, x] = v
  return out


def _perfect_detection_outputs(batch):
  targets = objects.object_targets({k: jnp.asarray(v) for k, v in batch.items()}, GRID, 3)
  heat = objects.class_heatmap(targets, jnp.asarray(batch['labels']), len(CLASSES), GRID)
  valid = np.asarray(targets['valid'])
  cells = np.where(valid[..., None], np.asarray(targets['cell']), 0)
  pick = lambda x: np.where(valid[..., None], np.asarray(x), 0)
  return targets, {
      'heatmap': jnp.asarray(_logit(np.asarray(heat))),
      'size': jnp.asarray(_paint((2, *GRID, 2), cells, pick(jnp.log(targets['size'])))),
      'offset': jnp.asarray(_paint((2, *GRID, 2), cells, pick(targets['offset'])))}


def test_class_heatmap_is_one_at_centres_and_the_max_of_gaussians():
  batch = {k: jnp.asarray(v) for k, v in _batch().items()}
  targets = objects.object_targets(batch, GRID, 3)
  heat = np.asarray(objects.class_heatmap(targets, batch['labels'], 3, GRID))
  ys, xs = np.mgrid[:GRID[0], :GRID[1]]
  expected = np.zeros_like(heat)
  for b, n in zip(*np.nonzero(_batch()['objects_valid'])):
    (cy, cx), (sy, sx) = np.asarray(targets['cell'][b, n]), np.asarray(targets['sigma'][b, n])
    g = np.exp(-(ys - cy)**2 / (2 * sy**2) - (xs - cx)**2 / (2 * sx**2))
    label = int(batch['labels'][b, n])
    expected[b, ..., label] = np.maximum(expected[b, ..., label], g)
    assert heat[b, cy, cx, label] == 1.0
  np.testing.assert_allclose(heat, expected, atol=1e-6)


def test_focal_loss_matches_formula():
  rng = np.random.default_rng(0)
  logits = rng.normal(size=(2, 5, 6, 3)).astype(np.float32)
  target = rng.uniform(0, 0.99, logits.shape).astype(np.float32)
  target[0, 1, 2, 0] = target[1, 4, 5, 2] = 1.0
  p = 1 / (1 + np.exp(-logits.astype(np.float64)))
  pos = target == 1
  expected = (np.sum(-(1 - p[pos])**2 * np.log(p[pos]))
              + np.sum(-(1 - target[~pos])**4 * p[~pos]**2 * np.log(1 - p[~pos]))) / 2
  np.testing.assert_allclose(float(objects.focal_loss(jnp.asarray(logits), jnp.asarray(target))),
                             expected, rtol=1e-5)


def test_detection_perfect_outputs_decode_to_ground_truth_with_ap_one():
  batch = _batch()
  task = detection.Task(config_base.task('detection', max_detections=10), _info())
  _, outputs = _perfect_detection_outputs(batch)
  predictions = {k: np.asarray(v) for k, v in task.predict(outputs, batch).items()}
  for b in range(2):
    n = batch['objects_valid'][b].sum()
    assert (predictions['scores'][b, :n] > 0.99).all() and (predictions['scores'][b, n:] < 0.01).all()
    order = np.lexsort(predictions['boxes'][b, :n].T[::-1])
    expected = np.lexsort(batch['boxes'][b, :n].T[::-1])
    np.testing.assert_allclose(predictions['boxes'][b, :n][order],
                               batch['boxes'][b, :n][expected], atol=1e-5)
    np.testing.assert_array_equal(predictions['labels'][b, :n][order],
                                  batch['labels'][b, :n][expected])
  evaluator = task.evaluator()
  evaluator.update({k: np.asarray(v) for k, v in task.eval_stats(predictions, batch).items()})
  metrics = evaluator.result()
  assert metrics['ap'] == pytest.approx(1.0) and metrics['ar100'] == pytest.approx(1.0)


def test_detection_loss_is_lower_for_perfect_outputs():
  batch = {k: jnp.asarray(v) for k, v in _batch().items()}
  task = detection.Task(config_base.task('detection'), _info())
  _, perfect = _perfect_detection_outputs(_batch())
  zero = {k: jnp.zeros_like(v) for k, v in perfect.items()}
  perfect_loss, parts = task.loss(perfect, batch)
  assert float(parts['size_loss']) < 1e-5 and float(parts['offset_loss']) < 1e-5
  assert float(perfect_loss) < 0.1 * float(task.loss(zero, batch)[0])


def test_padding_examples_are_not_evaluated():
  batch = _batch()
  batch['_valid'] = np.array([True, False])
  task = detection.Task(config_base.task('detection', max_detections=10), _info())
  _, outputs = _perfect_detection_outputs(batch)
  stats = task.eval_stats({k: np.asarray(v) for k, v in task.predict(outputs, batch).items()},
                          batch)
  stats = {k: np.array(v) for k, v in stats.items()}
  stats['pred_boxes'][1] = 0  # Garbage in the padded example must not count.
  evaluator = task.evaluator()
  evaluator.update(stats)
  assert evaluator.result()['ap'] == pytest.approx(1.0)


def _perfect_keypoint_outputs(batch):
  targets, detection_outputs = _perfect_detection_outputs(batch)
  valid = np.asarray(targets['valid'])
  cells = np.where(valid[..., None], np.asarray(targets['cell']), 0)
  points = batch['keypoints'][..., :2] * np.array(GRID, np.float32)
  labelled = (batch['keypoints'][..., 2] > 0) & valid[..., None]
  offsets = np.where(labelled[..., None], points - cells[:, :, None], 0)
  point_cells = np.floor(points).astype(np.int32)
  heat = np.zeros((2, *GRID, 3), np.float32)
  subpixel = np.zeros((2, *GRID, 2), np.float32)
  for b, n, k in zip(*np.nonzero(labelled)):
    y, x = point_cells[b, n, k]
    heat[b, y, x, k] = 1.0
    subpixel[b, y, x] = points[b, n, k] - point_cells[b, n, k]
  return {'heatmap': detection_outputs['heatmap'], 'offset': detection_outputs['offset'],
          'keypoint_offsets': jnp.asarray(_paint((2, *GRID, 6), cells, offsets.reshape(2, 4, 6))),
          'keypoint_heatmap': jnp.asarray(_logit(heat)),
          'keypoint_subpixel': jnp.asarray(subpixel)}


@pytest.mark.parametrize('single_instance', [False, True])
def test_keypoints_perfect_outputs_decode_to_ground_truth(single_instance):
  batch = _batch()
  if single_instance:  # Keep one object per example.
    batch['objects_valid'][0, 1:] = False
  info = _info(single_instance=single_instance)
  task = keypoints.Task(config_base.task('keypoints', max_instances=6), info)
  assert task.metric == ('pck' if single_instance else 'ap')
  predictions = {k: np.asarray(v)
                 for k, v in task.predict(_perfect_keypoint_outputs(batch), batch).items()}
  for b, n in zip(*np.nonzero(batch['objects_valid'])):
    labelled = batch['keypoints'][b, n, :, 2] > 0
    # The instance whose centre matches object n.
    predicted = predictions['keypoints'][b][:, labelled]  # [instances, labelled, 3]
    distance = np.abs(predicted[..., :2] - batch['keypoints'][b, n, labelled, :2]).max((-1, -2))
    assert distance.min() < 1e-5
    assert (predicted[distance.argmin(), :, 2] > 0.99).all()
  evaluator = task.evaluator()
  evaluator.update({k: np.asarray(v) for k, v in task.eval_stats(predictions, batch).items()})
  metrics = evaluator.result()
  assert metrics['ap'] == pytest.approx(1.0)
  if single_instance:
    assert metrics['pck'] == pytest.approx(1.0)


def test_keypoint_loss_is_lower_for_perfect_outputs():
  batch = {k: jnp.asarray(v) for k, v in _batch().items()}
  task = keypoints.Task(config_base.task('keypoints'), _info())
  perfect = _perfect_keypoint_outputs(_batch())
  zero = {k: jnp.zeros_like(v) for k, v in perfect.items()}
  perfect_loss, parts = task.loss(perfect, batch)
  assert float(parts['regression_loss']) < 1e-5
  assert float(perfect_loss) < 0.1 * float(task.loss(zero, batch)[0])
