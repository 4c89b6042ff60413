"""Object detection, anchor-free (CenterNet): a class heatmap of box centres
plus the box size (log, grid units) and the centre's sub-cell offset.

Decoding keeps the `max_detections` highest 3x3 local maxima of the heatmap
(the max-pool is CenterNet's NMS), so predictions have static shapes. COCO
box AP, AP50/75, AP small/medium/large and AR@1/10/100 over the original
image resolution (transfer/metrics/coco.py: pycocotools' COCOeval).
"""

import jax
import jax.numpy as jnp
import numpy as np

from transfer import visualize
from transfer.tasks import base, objects


class Task(objects.Task):
  annotation = 'boxes'
  metric = 'ap'

  def head(self):
    return base.ConvHeads(
        {'heatmap': (self.num_classes, objects.HEATMAP_BIAS),
         'size': (2, 0.0), 'offset': (2, 0.0)},
        self.config.head_features)

  def loss(self, outputs, batch):
    grid = objects.grid_hw(outputs)
    targets = objects.object_targets(batch, grid, self.num_classes)
    heatmap_loss, offset_loss = objects.centre_losses(outputs, batch, targets,
                                                      self.num_classes, grid)
    size_loss = objects.masked_l1(objects.gather(outputs['size'], targets['cell']),
                                  jnp.log(targets['size']), targets['valid'])
    loss = (heatmap_loss + self.config.size_weight * size_loss
            + offset_loss)
    return loss, {'heatmap_loss': heatmap_loss, 'size_loss': size_loss,
                  'offset_loss': offset_loss}

  def predict(self, outputs, batch):
    h, w = objects.grid_hw(outputs)
    scores, cells, labels = objects.top_peaks(
        jax.nn.sigmoid(outputs['heatmap']), self.config.max_detections)
    centre = cells + objects.gather(outputs['offset'], cells)
    half = jnp.exp(objects.gather(outputs['size'], cells)) / 2
    boxes = jnp.concatenate([centre - half, centre + half], -1) / jnp.array([h, w, h, w])
    return {'boxes': jnp.clip(boxes, 0.0, 1.0), 'scores': scores, 'labels': labels}

  def eval_stats(self, predictions, batch):
    return objects.eval_stats(predictions, batch)

  def evaluator(self):
    return objects.CocoBatchEvaluator('bbox', self.num_classes)

  def visualize(self, image, predictions, batch):
    scale = np.array(image.shape[:2] * 2)
    shown = predictions['scores'] >= self.config.visualize_threshold
    valid = self.known(batch)
    names = self.dataset.object_classes
    return visualize.side_by_side(
        [visualize.draw_boxes(image, predictions['boxes'][shown] * scale,
                              predictions['labels'][shown], names,
                              scores=predictions['scores'][shown]),
         visualize.draw_boxes(image, batch['boxes'][valid] * scale,
                              batch['labels'][valid], names)],
        titles=['prediction', 'ground truth'])
