"""Semantic segmentation: per-pixel cross-entropy with an ignore label; mean IoU."""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from transfer import visualize
from transfer.tasks import base


class Task(base.Task):
  annotation = 'segmentation'
  metric = 'miou'
  higher_is_better = True

  @property
  def num_classes(self) -> int:
    return self.dataset.num_classes

  def head(self):
    return base.ConvHead(self.num_classes, self.config.head_features)

  def _labels_and_mask(self, batch):
    labels = batch['segmentation'][..., 0].astype(jnp.int32)
    valid = (labels != self.dataset.ignore_label) & (labels < self.num_classes)
    valid &= base.example_mask(batch, labels.shape)
    return jnp.where(valid, labels, 0), valid

  def loss(self, outputs, batch):
    labels, valid = self._labels_and_mask(batch)
    logits = base.resize_to(outputs, batch['segmentation'])
    per_pixel = optax.softmax_cross_entropy_with_integer_labels(logits, labels)
    loss = jnp.sum(per_pixel * valid) / jnp.maximum(valid.sum(), 1)
    # The label's logit is the largest (ties count as correct): the loss has
    # the maximum already, so this is cheaper than a second pass for argmax.
    label_logit = jnp.take_along_axis(logits, labels[..., None], axis=-1)[..., 0]
    correct = label_logit >= logits.max(-1)
    return loss, {'pixel_accuracy': jnp.sum(correct * valid) / jnp.maximum(valid.sum(), 1)}

  def predict(self, outputs, batch):
    logits = base.resize_to(outputs, batch['segmentation'])
    return {'segmentation': logits.argmax(-1)}

  def eval_stats(self, predictions, batch):
    labels, valid = self._labels_and_mask(batch)
    index = labels * self.num_classes + predictions['segmentation']
    confusion = jnp.bincount(index.ravel(), weights=valid.ravel().astype(jnp.int32),
                             length=self.num_classes**2)
    return {'confusion': confusion.reshape(self.num_classes, self.num_classes)}

  def metrics(self, stats):
    confusion = np.asarray(stats['confusion'], np.float64)  # [true, predicted]
    intersection = np.diag(confusion)
    union = confusion.sum(0) + confusion.sum(1) - intersection
    present = union > 0  # classes absent from both do not count.
    iou = intersection[present] / union[present]
    return {'miou': float(iou.mean()) if present.any() else 0.0,
            'pixel_accuracy': float(intersection.sum() / max(confusion.sum(), 1))}

  def visualize(self, image, predictions, batch):
    def panel(labels):
      colours = visualize.colorize_segmentation(labels, self.num_classes,
                                                self.dataset.ignore_label)
      return visualize.overlay(image, colours, alpha=0.6,
                               where=labels != self.dataset.ignore_label)
    return visualize.side_by_side(
        [panel(predictions['segmentation']), panel(batch['segmentation'][..., 0])],
        titles=['prediction', 'ground truth'])
