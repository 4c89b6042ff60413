"""Percentage of correct keypoints: PCK by the bounding box, and MPII's PCKh.

PCK is the StanfordExtra convention: a labelled keypoint is correct if its
distance to the ground truth is at most alpha * max(box height, box width).
PCKh@0.5 (MPII) normalises by the person's head size instead, 0.6 times the
diagonal of the annotated head box.
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


# MPII's head size is this fraction of the head box diagonal (evalMPII's
# evaluatePCKh.m, `util_get_head_size`; the same 0.6 in the Python ports of
# stacked hourglass, HRNet and mmpose).
HEAD_SIZE_FRACTION = 0.6


def pckh(gt_keypoints, pred_keypoints, head_boxes_diagonal, threshold: float = 0.5):
  """MPII's PCKh: per keypoint, how many labelled ones lie within `threshold`
  head sizes of the ground truth.

  Args:
    gt_keypoints: [N, K, 3] (y, x, visibility) in pixels; visibility > 0 is labelled.
    pred_keypoints: [N, K, 2+] (y, x, ...) in pixels, one prediction per person.
    head_boxes_diagonal: [N] each person's head box diagonal in pixels.
    threshold: PCKh@threshold (0.5 is the literature's).

  Returns:
    (correct [K], labelled [K]) counts, to be summed over images and hosts.
  """
  gt = np.asarray(gt_keypoints, np.float64)
  pred = np.asarray(pred_keypoints, np.float64)[..., :2]
  head_size = HEAD_SIZE_FRACTION * np.asarray(head_boxes_diagonal, np.float64).reshape(-1)
  labelled = gt[..., 2] > 0
  distance = np.linalg.norm(pred - gt[..., :2], axis=-1)
  correct = labelled & (distance <= threshold * head_size[:, None])
  return correct.sum(0).astype(np.float64), labelled.sum(0).astype(np.float64)


def paired_predictions(gt_keypoints, pred_keypoints, pred_scores, head_boxes_diagonal,
                       threshold: float = 0.5) -> np.ndarray:
  """For each annotated person of an image, one of its predicted instances.

  PCKh is a single-person measure: its evaluations hand the model each
  person's rough location. A multi-person model is paired instead: the N
  best-scoring predictions are assigned to the N people so that the most
  keypoints are PCKh-correct (Hungarian assignment).

  Args:
    gt_keypoints: [N, K, 3] as `pckh`.
    pred_keypoints: [M, K, 2+] the image's predicted instances.
    pred_scores: [M] their scores.
    head_boxes_diagonal: [N] as `pckh`.

  Returns:
    [N] indices into the predictions; -1 for a person left without one
    (fewer predictions than people).
  """
  from scipy import optimize  # pylint: disable=g-import-not-at-top
  gt = np.asarray(gt_keypoints, np.float64)
  pred = np.asarray(pred_keypoints, np.float64)[..., :2]
  order = np.argsort(-np.asarray(pred_scores, np.float64), kind='stable')[:len(gt)]
  head_size = HEAD_SIZE_FRACTION * np.asarray(head_boxes_diagonal, np.float64).reshape(-1)
  distance = np.linalg.norm(pred[order][None] - gt[:, None, :, :2], axis=-1)  # [N, M', K]
  correct = ((gt[:, None, :, 2] > 0)
             & (distance <= threshold * head_size[:, None, None])).sum(-1)
  rows, cols = optimize.linear_sum_assignment(-correct)
  out = np.full(len(gt), -1)
  out[rows] = order[cols]
  return out
