"""Task losses and evaluators against independent numpy references."""

import jax.numpy as jnp
import numpy as np
import pytest

from transfer import config_base
from transfer.data import catalog
from transfer.errors import UserError
from transfer.tasks import depth, segmentation


def _segmentation_task(num_classes, ignore_label=255):
  info = catalog.DatasetInfo(name='t', tfds_name='t', builder_module='t', domain='d',
                             tasks=('segmentation',), ignore_label=ignore_label,
                             class_names=tuple(f'c{i}' for i in range(num_classes)))
  return segmentation.Task(config_base.task('segmentation'), info)


def _depth_task(**config):
  info = catalog.DatasetInfo(name='t', tfds_name='t', builder_module='t', domain='d',
                             tasks=('depth',))
  return depth.Task(config_base.task('depth', **config), info)


def _numpy_miou(labels, preds, num_classes, ignore_label):
  valid = labels != ignore_label
  confusion = np.zeros((num_classes, num_classes))
  for t, p in zip(labels[valid], preds[valid]):
    confusion[t, p] += 1
  ious = []
  for c in range(num_classes):
    tp = confusion[c, c]
    union = confusion[c].sum() + confusion[:, c].sum() - tp
    if union > 0:
      ious.append(tp / union)
  return np.mean(ious)


@pytest.mark.parametrize('num_classes', [7, 300])
def test_miou_matches_numpy_confusion_matrix_with_ignore_and_padding(num_classes):
  rng = np.random.default_rng(num_classes)
  task = _segmentation_task(num_classes)
  evaluator = task.evaluator()
  all_labels, all_preds = [], []
  for _ in range(3):
    # The last 2 classes never appear in the labels; the last never at all.
    labels = rng.integers(0, num_classes - 2, (4, 9, 11))
    labels[rng.random(labels.shape) < 0.2] = 255
    preds = np.where(rng.random(labels.shape) < 0.6, labels % num_classes,
                     rng.integers(0, num_classes - 1, labels.shape))
    preds = np.where(labels == 255, rng.integers(0, num_classes, labels.shape), preds)
    valid = np.array([True, True, True, False])  # The last example is padding.
    all_labels.append(labels[valid].ravel())
    all_preds.append(preds[valid].ravel())
    batch = {'segmentation': jnp.asarray(labels[..., None]), '_valid': jnp.asarray(valid)}
    stats = task.eval_stats({'segmentation': jnp.asarray(preds)}, batch)
    evaluator.update({k: np.asarray(v) for k, v in stats.items()})
  expected = _numpy_miou(np.concatenate(all_labels), np.concatenate(all_preds),
                         num_classes, 255)
  assert abs(evaluator.result()['miou'] - expected) < 1e-9


def test_segmentation_loss_ignores_void_pixels():
  task = _segmentation_task(3)
  labels = np.array([[[0, 255], [2, 255]]])[..., None]
  logits = np.zeros((1, 2, 2, 3), np.float32)
  logits[0, 0, 0, 0] = logits[0, 1, 0, 2] = 5.0
  logits[0, :, 1] = [100.0, -100.0, 0.0]  # Huge error only on ignored pixels.
  loss, _ = task.loss(jnp.asarray(logits), {'segmentation': jnp.asarray(labels)})
  expected = -np.log(np.exp(5) / (np.exp(5) + 2))
  np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


def test_depth_metrics_match_formulas_over_valid_pixels():
  rng = np.random.default_rng(1)
  gt = rng.uniform(0.5, 10, (3, 6, 5)).astype(np.float32)
  gt[rng.random(gt.shape) < 0.3] = 0.0  # Invalid pixels.
  pred = (gt * rng.uniform(0.7, 1.4, gt.shape) + 0.1).astype(np.float32)
  valid_examples = np.array([True, True, False])
  task = _depth_task()
  stats = task.eval_stats({'depth': jnp.asarray(pred)},
                          {'depth': jnp.asarray(gt[..., None]),
                           '_valid': jnp.asarray(valid_examples)})
  evaluator = task.evaluator()
  for _ in range(2):  # Sums over batches: the same batch twice keeps the means.
    evaluator.update({k: np.asarray(v) for k, v in stats.items()})
  metrics = evaluator.result()
  mask = (gt > 0) & valid_examples[:, None, None]
  g, p = gt[mask].astype(np.float64), pred[mask].astype(np.float64)
  ratio = np.maximum(p / g, g / p)
  expected = {
      'abs_rel': np.mean(np.abs(p - g) / g),
      'sq_rel': np.mean((p - g)**2 / g),
      'rmse': np.sqrt(np.mean((p - g)**2)),
      'rmse_log': np.sqrt(np.mean((np.log(p) - np.log(g))**2)),
      'log10': np.mean(np.abs(np.log10(p) - np.log10(g))),
      'delta1': np.mean(ratio < 1.25), 'delta2': np.mean(ratio < 1.25**2),
      'delta3': np.mean(ratio < 1.25**3)}
  assert set(metrics) == set(expected)
  for name, value in expected.items():
    np.testing.assert_allclose(metrics[name], value, rtol=1e-5, err_msg=name)


def test_depth_l1_log_loss_is_mean_abs_log_error_on_valid_pixels():
  task = _depth_task(loss='l1_log')
  gt = np.array([[[1.0, 2.0], [0.0, 4.0]]], np.float32)[..., None]
  log_pred = np.log(np.array([[[2.0, 2.0], [9.0, 1.0]]], np.float32))[..., None]
  loss, _ = task.loss(jnp.asarray(log_pred), {'depth': jnp.asarray(gt)})
  expected = (np.log(2) + 0 + np.log(4)) / 3
  np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


def test_depth_silog_loss_matches_numpy_on_valid_pixels_of_valid_examples():
  rng = np.random.default_rng(2)
  gt = rng.uniform(0.5, 10, (3, 6, 5)).astype(np.float32)
  gt[rng.random(gt.shape) < 0.3] = 0.0  # Invalid pixels.
  log_pred = np.log(np.maximum(gt, 1.0)) + rng.normal(0.3, 0.5, gt.shape)
  log_pred[2] += 50.0  # The padded example is far off.
  valid_examples = np.array([True, True, False])
  loss, _ = _depth_task(loss='silog').loss(
      jnp.asarray(log_pred[..., None], jnp.float32),
      {'depth': jnp.asarray(gt[..., None]), '_valid': jnp.asarray(valid_examples)})
  mask = (gt > 0) & valid_examples[:, None, None]
  d = log_pred[mask] - np.log(gt[mask].astype(np.float64))
  expected = np.sqrt(np.mean(d**2) - 0.85 * np.mean(d)**2)
  assert expected**2 > 10 * 1e-3  # Well above the floor.
  np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


@pytest.mark.parametrize('offset,expected', [
    (0.5, 0.5 * np.sqrt(0.15)),  # d = c: sqrt(c^2 - 0.85 c^2).
    (0.05, np.sqrt(1e-3)),       # 0.15 c^2 < 1e-3: the floor.
])
def test_depth_silog_loss_of_a_constant_log_offset(offset, expected):
  gt = np.array([[[1.0, 2.0], [0.0, 4.0]]], np.float32)[..., None]
  log_pred = np.log(np.maximum(gt, 1.0)) + offset
  log_pred[0, 1, 0] = 9.0  # An invalid pixel (gt = 0).
  loss, _ = _depth_task(loss='silog').loss(jnp.asarray(log_pred, jnp.float32),
                                           {'depth': jnp.asarray(gt)})
  np.testing.assert_allclose(float(loss), expected, rtol=1e-4)


def test_unknown_depth_loss_is_a_user_error_naming_task_loss():
  with pytest.raises(UserError, match="'huber'") as error:
    _depth_task(loss='huber')
  assert error.value.where == 'task.loss'


@pytest.mark.parametrize('ignore_label', [255, 0])
def test_segmentation_labels_at_or_above_num_classes_do_not_count(ignore_label):
  num_classes = 4
  rng = np.random.default_rng(ignore_label)
  task = _segmentation_task(num_classes, ignore_label)
  labels = rng.integers(0, num_classes, (3, 5, 6))
  out_of_range = rng.choice([4, 5, 9, 200, 255], labels.shape)
  labels = np.where(rng.random(labels.shape) < 0.3, out_of_range, labels)
  labels[rng.random(labels.shape) < 0.15] = ignore_label
  logits = rng.normal(0, 3, labels.shape + (num_classes,)).astype(np.float32)
  preds = rng.integers(0, num_classes, labels.shape)
  valid_examples = np.array([True, True, False])
  batch = {'segmentation': jnp.asarray(labels[..., None], jnp.int32),
           '_valid': jnp.asarray(valid_examples)}
  valid = ((labels != ignore_label) & (labels < num_classes)
           & valid_examples[:, None, None])
  assert (labels[valid_examples] >= num_classes).any() and 0 < valid.sum()

  loss, aux = task.loss(jnp.asarray(logits), batch)
  x, y = logits[valid].astype(np.float64), labels[valid]
  log_softmax = x - x.max(-1, keepdims=True)
  log_softmax -= np.log(np.exp(log_softmax).sum(-1, keepdims=True))
  np.testing.assert_allclose(float(loss), -np.mean(log_softmax[np.arange(len(y)), y]),
                             rtol=1e-5)
  np.testing.assert_allclose(float(aux['pixel_accuracy']), np.mean(x.argmax(-1) == y),
                             rtol=1e-6)

  stats = task.eval_stats({'segmentation': jnp.asarray(preds)}, batch)
  confusion = np.zeros((num_classes, num_classes))
  np.add.at(confusion, (labels[valid], preds[valid]), 1)
  np.testing.assert_array_equal(np.asarray(stats['confusion']), confusion)
  evaluator = task.evaluator()
  evaluator.update({k: np.asarray(v) for k, v in stats.items()})
  expected = _numpy_miou(labels[valid], preds[valid], num_classes, ignore_label)
  assert abs(evaluator.result()['miou'] - expected) < 1e-9
