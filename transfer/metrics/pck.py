"""Percentage of correct keypoints (PCK), normalised by the bounding box.

This is the StanfordExtra convention: a labelled keypoint is correct if its
distance to the ground truth is at most alpha * max(box height, box width).
MPII's head-normalised PCKh is a different metric and is not implemented.
"""

import numpy as np


def pck(gt_keypoints, pred_keypoints, gt_boxes, alpha: float = 0.1) -> tuple[float, float]:
  """Counts correct and labelled keypoints, to be summed over batches and hosts.

  Args:
    gt_keypoints: [N, K, 3] (y, x, visibility) in pixels; visibility > 0 is labelled.
    pred_keypoints: [N, K, 2+] (y, x, ...) in pixels, one prediction per gt instance.
    gt_boxes: [N, 4] (ymin, xmin, ymax, xmax) in pixels.
    alpha: threshold as a fraction of the longer box side.

  Returns:
    (number of correct keypoints, number of labelled keypoints).
  """
  gt = np.asarray(gt_keypoints, np.float64)
  pred = np.asarray(pred_keypoints, np.float64)[..., :2]
  boxes = np.asarray(gt_boxes, np.float64).reshape(-1, 4)
  scale = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
  labelled = gt[..., 2] > 0
  distance = np.linalg.norm(pred - gt[..., :2], axis=-1)
  correct = labelled & (distance <= alpha * scale[:, None])
  return float(correct.sum()), float(labelled.sum())


def pck_from_counts(correct: float, labelled: float) -> float:
  """PCK from summed `pck` counts; 0.0 when nothing is labelled."""
  return correct / labelled if labelled else 0.0
