"""Detection and keypoint tasks: targets, losses, decoding and evaluation.

Heatmaps and losses are checked against numpy loops over the objects, written
from the formulas (TTFNet's Gaussians, CenterNet's focal and L1 losses) with
objects that no target may include; perfect head outputs, built by hand from
the ground truth, must decode to exactly the ground truth and score AP = 1.
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
# Per example, its objects: box (y0, x0, y1, x1), label, slot valid, crowd.
# Heights differ from widths in grid cells; centres and keypoints are off cell edges.
EXAMPLES = (
    [([0.10, 0.10, 0.45, 0.32], 0, True, False), ([0.50, 0.52, 0.93, 0.97], 2, True, False),
     ([0.20, 0.61, 0.40, 0.83], 1, True, False)],
    [([0.30, 0.21, 0.83, 0.72], 1, True, False)])
IGNORED = (  # Objects that no target may include.
    ([0.61, 0.11, 0.92, 0.43], 0, False, False),  # A padding slot.
    ([0.05, 0.46, 0.35, 0.95], 1, True, True),    # A crowd region.
    ([0.56, 0.06, 0.93, 0.47], 3, True, False),   # Unknown classes.
    ([0.16, 0.36, 0.74, 0.67], -1, True, False),
    ([0.30, 0.31, 0.30, 0.62], 2, True, False))   # An empty box.
# TTFNet's Gaussians (alpha 0.54 over 6 sigmas): sigma per cell of object size, and
# the smallest sigma in cells.
SIGMA_PER_CELL = 0.54 / 6
MIN_SIGMA = 0.5


def _info(**kwargs):
  return catalog.DatasetInfo(
      name='t', tfds_name='t', builder_module='t', domain='d',
      tasks=('boxes', 'keypoints'), class_names=CLASSES, num_keypoints=3,
      keypoint_flip_map=(0, 2, 1), oks_sigmas=(0.05, 0.07, 0.07), **kwargs)


def _keypoints_in(box):
  """Three labelled keypoints (y, x, visibility) inside `box`."""
  y0, x0, y1, x1 = box
  return [[y0 + 0.3 * (y1 - y0), (x0 + x1) / 2, 2],
          [y0 + 0.7 * (y1 - y0), x0 + 0.2 * (x1 - x0), 2],
          [y0 + 0.7 * (y1 - y0), x0 + 0.8 * (x1 - x0), 1]]


def _batch(examples=EXAMPLES, slots=4, example_valid=(True, True)):
  """`examples`' objects, then padding slots; object 2 of example 0 has an unlabelled keypoint."""
  shape = (len(examples), slots)
  boxes = np.zeros((*shape, 4), np.float32)
  labels = np.zeros(shape, np.int32)
  valid, crowd = np.zeros(shape, bool), np.zeros(shape, bool)
  kps = np.zeros((*shape, 3, 3), np.float32)
  for b, example in enumerate(examples):
    for n, (box, label, slot_valid, is_crowd) in enumerate(example):
      boxes[b, n], labels[b, n], valid[b, n], crowd[b, n] = box, label, slot_valid, is_crowd
      kps[b, n] = _keypoints_in(boxes[b, n])
  kps[0, 2, 2] = 0
  hw = np.array(IMAGE_HW, np.float32)
  areas = np.prod((boxes[..., 2:] - boxes[..., :2]) * hw, -1)
  return {'boxes': boxes, 'labels': labels, 'objects_valid': valid,
          'is_crowd': crowd, 'areas': areas, 'keypoints': kps,
          'reference_sizes': np.zeros(shape, np.float32),
          'image_hw': np.tile(np.array(IMAGE_HW, np.int32), (len(examples), 1)),
          '_valid': np.array(example_valid)}


def _batch_with_ignored_objects():
  """IGNORED in example 0; example 1 with a large second object, one of its
  keypoints on the right edge; then example 1 again as a padding example."""
  second = [*EXAMPLES[1], ([0.04, 0.06, 0.95, 0.77], 2, True, False)]
  batch = _batch([[*EXAMPLES[0], *IGNORED], second, second], 8, (True, True, False))
  batch['keypoints'][1, 1, 2, 1] = 1.0
  return batch


def _on_device(batch):
  return {k: jnp.asarray(v) for k, v in batch.items()}


def _random_outputs(channels, batch_size):
  """Head outputs of N(0, 1) noise (fixed seed), `channels` per output name."""
  rng = np.random.default_rng(0)
  return {name: rng.normal(size=(batch_size, *GRID, c)).astype(np.float32)
          for name, c in channels.items()}


def _reference_objects(batch):
  """Numpy: which objects train [B, N], and their centre cells, centres, sizes
  and sigmas [B, N, 2] in grid units."""
  boxes = batch['boxes'] * np.array(GRID * 2, np.float64)
  centre = (boxes[..., :2] + boxes[..., 2:]) / 2
  size = boxes[..., 2:] - boxes[..., :2]
  labels = batch['labels']
  train = (batch['objects_valid'] & ~batch['is_crowd'] & (labels >= 0)
           & (labels < len(CLASSES)) & (size > 0).all(-1) & batch['_valid'][:, None])
  return {'train': train, 'centre': centre, 'size': size,
          'cell': np.clip(np.floor(centre), 0, np.array(GRID) - 1).astype(int),
          'sigma': np.maximum(size * SIGMA_PER_CELL, MIN_SIGMA)}


def _gaussian(cell, sigma):
  """exp(-dy^2 / 2 sigma_y^2 - dx^2 / 2 sigma_x^2) over the grid, around `cell`."""
  ys, xs = np.mgrid[:GRID[0], :GRID[1]]
  return np.exp(-(ys - cell[0])**2 / (2 * sigma[0]**2) - (xs - cell[1])**2 / (2 * sigma[1]**2))


def _reference_class_heatmap(batch, ref):
  """Per class, the maximum of its training objects' Gaussians: [B, h, w, C]."""
  heat = np.zeros((len(batch['labels']), *GRID, len(CLASSES)))
  for b, n in zip(*np.nonzero(ref['train'])):
    label = batch['labels'][b, n]
    heat[b, ..., label] = np.maximum(heat[b, ..., label],
                                     _gaussian(ref['cell'][b, n], ref['sigma'][b, n]))
  return heat


def _reference_keypoints(batch, ref):
  """Numpy: which keypoints are labelled [B, N, K], their points and cells in
  grid units, and per keypoint type the maximum of their Gaussians [B, h, w, K]."""
  points = batch['keypoints'][..., :2] * np.array(GRID, np.float64)
  labelled = (batch['keypoints'][..., 2] > 0) & ref['train'][..., None]
  cells = np.clip(np.floor(points), 0, np.array(GRID) - 1).astype(int)
  heat = np.zeros((len(points), *GRID, points.shape[2]))
  for b, n, k in zip(*np.nonzero(labelled)):
    sigma = np.maximum(ref['sigma'][b, n] / 2, MIN_SIGMA)
    heat[b, ..., k] = np.maximum(heat[b, ..., k], _gaussian(cells[b, n, k], sigma))
  return {'labelled': labelled, 'points': points, 'cells': cells, 'heatmap': heat}


def _reference_focal_loss(logits, target, example_valid):
  """CenterNet's focal loss (alpha 2, beta 4) over valid examples, per peak (at least 1)."""
  p = 1 / (1 + np.exp(-logits.astype(np.float64)))
  peak = target == 1
  entries = np.where(peak, -(1 - p)**2 * np.log(p), -(1 - target)**4 * p**2 * np.log(1 - p))
  valid = example_valid[:, None, None, None]
  return np.sum(entries * valid) / max(np.sum(peak & valid), 1)


def _mean_abs_error(pairs):
  """Mean |prediction - target| over the elements of (prediction, target) pairs."""
  return np.mean([np.abs(prediction - target) for prediction, target in pairs])


def _at(output, b, cell):
  """output [B, h, w, D] at example b's `cell`, in float64."""
  return output[b, cell[0], cell[1]].astype(np.float64)


def _reference_detection_loss(outputs, batch, size_weight):
  """Numpy: the detection loss and its parts (focal, L1 of log sizes and offsets)."""
  ref = _reference_objects(batch)
  trained = list(zip(*np.nonzero(ref['train'])))
  parts = {
      'heatmap_loss': _reference_focal_loss(
          outputs['heatmap'], _reference_class_heatmap(batch, ref), batch['_valid']),
      'size_loss': _mean_abs_error(
          (_at(outputs['size'], b, ref['cell'][b, n]), np.log(ref['size'][b, n]))
          for b, n in trained),
      'offset_loss': _mean_abs_error(
          (_at(outputs['offset'], b, ref['cell'][b, n]), ref['centre'][b, n] - ref['cell'][b, n])
          for b, n in trained)}
  loss = parts['heatmap_loss'] + size_weight * parts['size_loss'] + parts['offset_loss']
  return loss, parts


def _reference_keypoint_loss(outputs, batch, regression_weight):
  """Numpy: the keypoint loss and its logged parts (centre focal and offset,
  keypoint regression, heatmap focal and sub-pixel L1)."""
  ref = _reference_objects(batch)
  kps = _reference_keypoints(batch, ref)
  labelled = list(zip(*np.nonzero(kps['labelled'])))
  num_keypoints = batch['keypoints'].shape[2]
  parts = {
      'centre_loss': _reference_focal_loss(
          outputs['heatmap'], _reference_class_heatmap(batch, ref), batch['_valid']),
      'regression_loss': _mean_abs_error(
          (_at(outputs['keypoint_offsets'], b, ref['cell'][b, n]).reshape(num_keypoints, 2)[k],
           kps['points'][b, n, k] - ref['cell'][b, n]) for b, n, k in labelled),
      'keypoint_heatmap_loss': _reference_focal_loss(
          outputs['keypoint_heatmap'], kps['heatmap'], batch['_valid']),
      'offset_loss': _mean_abs_error(
          (_at(outputs['offset'], b, ref['cell'][b, n]), ref['centre'][b, n] - ref['cell'][b, n])
          for b, n in zip(*np.nonzero(ref['train']))),
      'subpixel_loss': _mean_abs_error(
          (_at(outputs['keypoint_subpixel'], b, kps['cells'][b, n, k]),
           kps['points'][b, n, k] - kps['cells'][b, n, k]) for b, n, k in labelled)}
  loss = (parts['centre_loss'] + parts['offset_loss'] + parts['keypoint_heatmap_loss']
          + parts['subpixel_loss'] + regression_weight * parts['regression_loss'])
  return loss, parts


def _assert_loss_matches(task, channels, reference):
  """`task.loss` and its logged parts on random outputs equal `reference`'s."""
  batch = _batch_with_ignored_objects()
  outputs = _random_outputs(channels, len(batch['labels']))
  loss, parts = task.loss({k: jnp.asarray(v) for k, v in outputs.items()}, _on_device(batch))
  expected_loss, expected_parts = reference(outputs, batch)
  assert parts.keys() == expected_parts.keys()
  for name, value in parts.items():
    np.testing.assert_allclose(float(value), expected_parts[name], rtol=1e-5, err_msg=name)
  np.testing.assert_allclose(float(loss), expected_loss, rtol=1e-5)


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
  targets = objects.object_targets(_on_device(batch), GRID, 3)
  heat = objects.class_heatmap(targets, jnp.asarray(batch['labels']), len(CLASSES), GRID)
  valid = np.asarray(targets['valid'])
  cells = np.where(valid[..., None], np.asarray(targets['cell']), 0)
  pick = lambda x: np.where(valid[..., None], np.asarray(x), 0)
  return targets, {
      'heatmap': jnp.asarray(_logit(np.asarray(heat))),
      'size': jnp.asarray(_paint((2, *GRID, 2), cells, pick(jnp.log(targets['size'])))),
      'offset': jnp.asarray(_paint((2, *GRID, 2), cells, pick(targets['offset'])))}


def test_class_heatmap_is_the_max_of_gaussians_at_the_centre_cells():
  batch = _batch_with_ignored_objects()
  targets = objects.object_targets(_on_device(batch), GRID, 3)
  heat = np.asarray(objects.class_heatmap(targets, jnp.asarray(batch['labels']), 3, GRID))
  ref = _reference_objects(batch)
  sigma = ref['sigma'][ref['train']]
  assert ((sigma > MIN_SIGMA).all(-1) & (sigma[:, 0] != sigma[:, 1])).any()  # Axes matter.
  np.testing.assert_allclose(heat, _reference_class_heatmap(batch, ref), atol=1e-6)
  for b, n in zip(*np.nonzero(ref['train'])):
    assert heat[(b, *ref['cell'][b, n], batch['labels'][b, n])] == 1.0


def test_keypoint_targets_are_gaussians_of_half_the_object_sigma():
  batch = _batch_with_ignored_objects()
  on_device = _on_device(batch)
  targets = keypoints.keypoint_targets(on_device, GRID,
                                       objects.object_targets(on_device, GRID, 3))
  expected = _reference_keypoints(batch, _reference_objects(batch))
  np.testing.assert_array_equal(targets['labelled'], expected['labelled'])
  np.testing.assert_array_equal(targets['cells'], expected['cells'])
  np.testing.assert_allclose(targets['points'], expected['points'], rtol=1e-6)
  np.testing.assert_allclose(targets['heatmap'], expected['heatmap'], atol=1e-6)


def test_focal_loss_matches_formula():
  rng = np.random.default_rng(0)
  logits = rng.normal(size=(2, 5, 6, 3)).astype(np.float32)
  target = rng.uniform(0, 0.99, logits.shape).astype(np.float32)
  target[0, 1, 2, 0] = target[0, 3, 3, 1] = target[1, 4, 5, 2] = 1.0
  for example_valid in np.array([True, True]), np.array([True, False]):
    loss = objects.focal_loss(jnp.asarray(logits), jnp.asarray(target),
                              jnp.asarray(example_valid)[:, None, None, None])
    np.testing.assert_allclose(float(loss), _reference_focal_loss(logits, target, example_valid),
                               rtol=1e-5)


def test_detection_loss_matches_reference():
  task = detection.Task(config_base.task('detection', size_weight=0.3), _info())
  _assert_loss_matches(task, {'heatmap': 3, 'size': 2, 'offset': 2},
                       lambda outputs, batch: _reference_detection_loss(outputs, batch, 0.3))


def test_keypoint_loss_matches_reference():
  task = keypoints.Task(config_base.task('keypoints', regression_weight=0.7), _info())
  _assert_loss_matches(
      task, {'heatmap': 3, 'offset': 2, 'keypoint_offsets': 6, 'keypoint_heatmap': 3,
             'keypoint_subpixel': 2},
      lambda outputs, batch: _reference_keypoint_loss(outputs, batch, 0.7))


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


@pytest.mark.parametrize('metric', ['ap', 'pck', 'pckh'])
def test_keypoints_perfect_outputs_decode_to_ground_truth(metric):
  batch = _batch()
  single_instance = metric == 'pck'
  if single_instance:  # Keep one object per example.
    batch['objects_valid'][0, 1:] = False
  pckh = dict(reference_box='head', pckh_keypoints=(0, 2)) if metric == 'pckh' else {}
  if pckh:  # Head boxes of 4 px: PCKh's threshold is 0.5 * 0.6 * 4 = 1.2 px.
    batch['reference_sizes'][:] = 4.0
  info = _info(single_instance=single_instance, **pckh)
  task = keypoints.Task(config_base.task('keypoints', max_instances=6), info)
  assert task.metric == metric
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
  assert metrics[metric] == pytest.approx(1.0)
  assert ('pckh' in metrics) == (metric == 'pckh')
  if pckh:  # Keypoint 0 moved by 1.1 px stays correct, by 1.3 px not; keypoint 1 is not counted.
    labelled = (batch['keypoints'][..., 2] > 0)[batch['objects_valid']]
    for shift, expected in ((1.1, 1.0), (1.3, 1 - labelled[:, 0].sum() / labelled[:, [0, 2]].sum())):
      moved = predictions['keypoints'].copy()
      moved[..., 0, 0] += shift / IMAGE_HW[0]
      moved[..., 1, :2] += 0.5
      evaluator = task.evaluator()
      evaluator.update({k: np.asarray(v) for k, v in task.eval_stats(
          dict(predictions, keypoints=moved), batch).items()})
      assert evaluator.result()['pckh'] == pytest.approx(expected)
