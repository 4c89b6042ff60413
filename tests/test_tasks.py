"""Task losses and evaluators against independent numpy references."""

import ml_collections
import jax.numpy as jnp
import numpy as np
import pytest

from transfer import config_base
from transfer.data import catalog
from transfer.tasks import depth, segmentation


def _segmentation_task(num_classes, ignore_label=255):
  info = catalog.DatasetInfo(name='t', tfds_name='t', builder_module='t', domain='d',
                             tasks=('segmentation',), ignore_label=ignore_label,
                             class_names=tuple(f'c{i}' for i in range(num_classes)))
  return segmentation.Task(config_base.task('segmentation'), info)


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
  info = catalog.DatasetInfo(name='t', tfds_name='t', builder_module='t', domain='d',
                             tasks=('depth',))
  task = depth.Task(config_base.task('depth'), info)
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
  info = catalog.DatasetInfo(name='t', tfds_name='t', builder_module='t', domain='d',
                             tasks=('depth',))
  task = depth.Task(ml_collections.ConfigDict(dict(name='depth', loss='l1_log')), info)
  gt = np.array([[[1.0, 2.0], [0.0, 4.0]]], np.float32)[..., None]
  log_pred = np.log(np.array([[[2.0, 2.0], [9.0, 1.0]]], np.float32))[..., None]
  loss, _ = task.loss(jnp.asarray(log_pred), {'depth': jnp.asarray(gt)})
  expected = (np.log(2) + 0 + np.log(4)) / 3
  np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
