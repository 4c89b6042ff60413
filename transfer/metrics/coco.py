"""COCO detection (bbox) and keypoint (OKS) AP, computed by pycocotools' COCOeval.

`CocoEvaluator` collects images in the project's conventions (boxes
(ymin, xmin, ymax, xmax) and keypoints (y, x) in pixels) as a COCO ground
truth and result list, and `result` runs pycocotools' own `COCOeval`
(evaluate, accumulate, summarize) with its default parameters, so the
numbers are the reference's by construction. The only settings passed on are
the OKS sigmas of a keypoint set other than COCO's 17 joints.
"""

import contextlib
import io
from typing import Sequence
import warnings

import numpy as np

with warnings.catch_warnings():  # pycocotools imports pkg_resources-era modules.
  warnings.simplefilter('ignore', DeprecationWarning)
  from pycocotools import coco as pycoco
  from pycocotools import cocoeval

COCO_KEYPOINT_SIGMAS = tuple(s / 10 for s in (
    .26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87,
    .87, .89, .89))

# The names of COCOeval.stats, in its order.
SUMMARY_NAMES = {
    'bbox': ('ap', 'ap50', 'ap75', 'ap_small', 'ap_medium', 'ap_large', 'ar1', 'ar10',
             'ar100', 'ar_small', 'ar_medium', 'ar_large'),
    'keypoints': ('ap', 'ap50', 'ap75', 'ap_medium', 'ap_large', 'ar', 'ar50', 'ar75',
                  'ar_medium', 'ar_large'),
}


def _xywh(boxes) -> list[list[float]]:
  """(ymin, xmin, ymax, xmax) rows -> COCO's [x, y, width, height]."""
  b = np.asarray(boxes, np.float64).reshape(-1, 4)
  return np.stack([b[:, 1], b[:, 0], b[:, 3] - b[:, 1], b[:, 2] - b[:, 0]], 1).tolist()


def _flat_keypoints(yx, visibility) -> list[float]:
  """[K, 2] (y, x) and [K] visibility -> COCO's flat [x1, y1, v1, x2, ...]."""
  xyv = np.concatenate([np.asarray(yx, np.float64)[:, ::-1],
                        np.asarray(visibility, np.float64)[:, None]], 1)
  return xyv.ravel().tolist()


def _quiet():
  """COCO and COCOeval print progress; keep it off the training log."""
  stack = contextlib.ExitStack()
  stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
  stack.enter_context(warnings.catch_warnings())
  warnings.simplefilter('ignore', DeprecationWarning)
  return stack


class CocoEvaluator:
  """Accumulates images; `result` evaluates them all with pycocotools' COCOeval.

  `result` may be called at any time (it builds the COCO objects afresh).
  """

  def __init__(self, iou_type: str, num_classes: int,
               oks_sigmas: Sequence[float] | None = None):
    if iou_type not in SUMMARY_NAMES:
      raise ValueError(f'iou_type must be one of {sorted(SUMMARY_NAMES)}, got {iou_type!r}.')
    if iou_type == 'keypoints' and oks_sigmas is None:
      raise ValueError("iou_type 'keypoints' needs oks_sigmas.")
    self.iou_type = iou_type
    self.num_classes = num_classes
    self._sigmas = None if oks_sigmas is None else np.asarray(oks_sigmas, np.float64)
    self._num_images = 0
    self._gt, self._dets = [], []

  def add_image(self, *, gt_boxes, gt_labels, gt_is_crowd, gt_areas, det_boxes,
                det_labels, det_scores, gt_keypoints=None, det_keypoints=None):
    """Adds one image's ground truth and detections.

    Args:
      gt_boxes: [N, 4] (ymin, xmin, ymax, xmax).
      gt_labels: [N] class ids in [0, num_classes).
      gt_is_crowd: [N] crowd flags.
      gt_areas: [N] annotation areas (decide the area range and, for
        keypoints, the OKS scale).
      det_boxes: [M, 4] (ymin, xmin, ymax, xmax); unused for 'keypoints'
        (COCO takes a keypoint result's area from its keypoints' extent).
      det_labels: [M] class ids.
      det_scores: [M] confidences.
      gt_keypoints: [N, K, 3] (y, x, visibility); 'keypoints' only.
      det_keypoints: [M, K, 2+] (y, x, ...); 'keypoints' only.
    """
    gt_labels = np.asarray(gt_labels, np.int64).reshape(-1)
    det_labels = np.asarray(det_labels, np.int64).reshape(-1)
    for labels in (gt_labels, det_labels):
      if labels.size and (labels.min() < 0 or labels.max() >= self.num_classes):
        raise ValueError(f'Labels must lie in [0, {self.num_classes}), got {labels}.')
    image_id = self._num_images
    self._num_images += 1
    crowd = np.asarray(gt_is_crowd, bool).reshape(-1)
    areas = np.asarray(gt_areas, np.float64).reshape(-1)
    scores = np.asarray(det_scores, np.float64).reshape(-1)
    keypoints = self.iou_type == 'keypoints'
    if keypoints:
      k = len(self._sigmas)
      gt_kpts = np.asarray(gt_keypoints, np.float64).reshape(-1, k, 3)
      det_kpts = np.asarray(det_keypoints, np.float64)
      det_kpts = det_kpts.reshape(len(det_labels), k, det_kpts.shape[-1])
    for i, box in enumerate(_xywh(gt_boxes)):
      # Annotation ids start at 1: COCOeval marks "unmatched" with id 0.
      ann = {'id': len(self._gt) + 1, 'image_id': image_id, 'category_id': int(gt_labels[i]),
             'bbox': box, 'area': float(areas[i]), 'iscrowd': int(crowd[i])}
      if keypoints:
        ann['keypoints'] = _flat_keypoints(gt_kpts[i, :, :2], gt_kpts[i, :, 2])
        ann['num_keypoints'] = int((gt_kpts[i, :, 2] > 0).sum())
      self._gt.append(ann)
    boxes = None if keypoints else _xywh(det_boxes)
    for i in range(len(det_labels)):
      det = {'image_id': image_id, 'category_id': int(det_labels[i]), 'score': float(scores[i])}
      if keypoints:  # No 'bbox': loadRes would take the box's area, not the extent.
        det['keypoints'] = _flat_keypoints(det_kpts[i, :, :2], np.ones(k))
      else:
        det['bbox'] = boxes[i]
      self._dets.append(det)

  def result(self) -> dict[str, float]:
    """COCOeval's summary metrics; -1.0 where no ground truth counts."""
    with _quiet():
      gt = pycoco.COCO()
      gt.dataset = {'images': [{'id': i} for i in range(self._num_images)],
                    'categories': [{'id': c} for c in range(self.num_classes)],
                    'annotations': self._gt}
      gt.createIndex()
      if self._dets:
        dets = gt.loadRes(self._dets)
      else:  # loadRes cannot take an empty list.
        dets = pycoco.COCO()
        dets.dataset = dict(gt.dataset, annotations=[])
        dets.createIndex()
      evaluation = cocoeval.COCOeval(gt, dets, self.iou_type)
      if self._sigmas is not None:
        evaluation.params.kpt_oks_sigmas = self._sigmas
      evaluation.evaluate()
      evaluation.accumulate()
      evaluation.summarize()
    return dict(zip(SUMMARY_NAMES[self.iou_type], map(float, evaluation.stats)))
