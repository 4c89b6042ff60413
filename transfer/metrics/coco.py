"""COCO detection (bbox) and keypoint (OKS) metrics in numpy.

`CocoEvaluator` re-implements the semantics of pycocotools' `COCOeval` with
default parameters (per-category evaluation, greedy matching per IoU threshold,
crowd and area-range ignore rules, 101-point interpolated precision) without
depending on it; tests/test_coco_eval.py holds its numbers equal to
pycocotools' to 1e-6. Boxes are (ymin, xmin, ymax, xmax) and keypoints (y, x)
in pixels; they are converted to COCO's (x, y, w, h) and (x, y) internally.
"""

from typing import Sequence

import numpy as np

COCO_KEYPOINT_SIGMAS = tuple(s / 10 for s in (
    .26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87,
    .87, .89, .89))

# As pycocotools' Params (same linspace calls, so thresholds compare bit-equal).
_IOU_THRESHOLDS = np.linspace(.5, .95, 10)
_RECALL_THRESHOLDS = np.linspace(0., 1., 101)
_ALL, _SMALL, _MEDIUM, _LARGE = [0, 1e10], [0, 32**2], [32**2, 96**2], [96**2, 1e10]

# Per iou_type: area ranges, maxDets, and the summary as
# (name, is_ap, IoU threshold index or None for the mean, area index, maxDets index).
_SETTINGS = {
    'bbox': (np.array([_ALL, _SMALL, _MEDIUM, _LARGE], np.float64), (1, 10, 100), (
        ('ap', True, None, 0, 2), ('ap50', True, 0, 0, 2), ('ap75', True, 5, 0, 2),
        ('ap_small', True, None, 1, 2), ('ap_medium', True, None, 2, 2),
        ('ap_large', True, None, 3, 2), ('ar1', False, None, 0, 0),
        ('ar10', False, None, 0, 1), ('ar100', False, None, 0, 2),
        ('ar_small', False, None, 1, 2), ('ar_medium', False, None, 2, 2),
        ('ar_large', False, None, 3, 2))),
    'keypoints': (np.array([_ALL, _MEDIUM, _LARGE], np.float64), (20,), (
        ('ap', True, None, 0, 0), ('ap50', True, 0, 0, 0), ('ap75', True, 5, 0, 0),
        ('ap_medium', True, None, 1, 0), ('ap_large', True, None, 2, 0),
        ('ar', False, None, 0, 0), ('ar50', False, 0, 0, 0), ('ar75', False, 5, 0, 0),
        ('ar_medium', False, None, 1, 0), ('ar_large', False, None, 2, 0))),
}


def _to_xywh(boxes):
  boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
  return np.stack([boxes[:, 1], boxes[:, 0], boxes[:, 3] - boxes[:, 1],
                   boxes[:, 2] - boxes[:, 0]], axis=1)


def _box_iou(det, gt, gt_crowd):
  """[D, G] IoU of xywh boxes, computed as pycocotools' C `bbIou`."""
  dx, dy, dw, dh = det.T[:, :, None]
  gx, gy, gw, gh = gt.T[:, None, :]
  w = np.minimum(dw + dx, gw + gx) - np.maximum(dx, gx)
  h = np.minimum(dh + dy, gh + gy) - np.maximum(dy, gy)
  overlap = (w > 0) & (h > 0)
  inter = w * h
  det_area = dw * dh
  # For a crowd gt, the detection's own area replaces the union.
  union = np.where(gt_crowd, det_area, det_area + gw * gh - inter)
  return np.divide(inter, union, out=np.zeros_like(inter), where=overlap)


def _oks(det_kpts, gt_kpts, gt_visible, gt_box, gt_area, sigmas):
  """[D, G] object keypoint similarity, as `COCOeval.computeOks`.

  Keypoints are [..., K, 2] (x, y). A gt with no labelled keypoint measures the
  distance of every detected keypoint to the gt box enlarged to 3x its size.
  """
  variances = (2 * sigmas)**2
  dx = det_kpts[:, None, :, 0] - gt_kpts[None, :, :, 0]
  dy = det_kpts[:, None, :, 1] - gt_kpts[None, :, :, 1]
  x, y, w, h = gt_box.T[:, None, :, None]
  x0, x1, y0, y1 = x - w, x + 2 * w, y - h, y + 2 * h
  xd, yd = det_kpts[:, None, :, 0], det_kpts[:, None, :, 1]
  out_x = np.maximum(0, x0 - xd) + np.maximum(0, xd - x1)
  out_y = np.maximum(0, y0 - yd) + np.maximum(0, yd - y1)
  labelled = gt_visible.any(-1)[None, :, None]
  dx = np.where(labelled, dx, out_x)
  dy = np.where(labelled, dy, out_y)
  e = (dx**2 + dy**2) / variances / (gt_area[None, :, None] + np.spacing(1)) / 2
  counted = np.where(labelled, gt_visible[None], True)
  return (np.exp(-e) * counted).sum(-1) / counted.sum(-1)


def _match(sim, gt_ignore, gt_crowd):
  """Greedy matching of `COCOeval.evaluateImg`, all area ranges and thresholds.

  Args:
    sim: [D, G] IoU or OKS, detections sorted by descending score.
    gt_ignore: [A, G] ignore flag of each gt per area range.
    gt_crowd: [G] crowd flag; a crowd gt can be matched any number of times.

  Returns:
    [A, T, D] whether each detection is matched, and whether it matched an
    ignored gt.
  """
  num_areas, num_gt = gt_ignore.shape
  shape = (num_areas, len(_IOU_THRESHOLDS), sim.shape[0])
  matched, matched_ignored = np.zeros(shape, bool), np.zeros(shape, bool)
  thresholds = np.minimum(_IOU_THRESHOLDS, 1 - 1e-10)[None, :, None]
  taken = np.zeros(shape[:2] + (num_gt,), bool)
  ignore = gt_ignore[:, None, :]
  for d in np.flatnonzero(sim.max(1, initial=0) >= thresholds.min()):
    candidate = (sim[d] >= thresholds) & (~taken | gt_crowd)
    # A detection takes the best regular gt, and an ignored gt only if no
    # regular one qualifies; among equal best, COCOeval keeps the last gt.
    regular = candidate & ~ignore
    candidate = np.where(regular.any(-1, keepdims=True), regular, candidate)
    value = np.where(candidate, sim[d], -np.inf)
    best = candidate & (value == value.max(-1, keepdims=True))
    a, t = np.nonzero(candidate.any(-1))
    g = num_gt - 1 - np.argmax(best[a, t, ::-1], axis=-1)
    taken[a, t, g] = True
    matched[a, t, d] = True
    matched_ignored[a, t, d] = gt_ignore[a, g]
  return matched, matched_ignored


class CocoEvaluator:
  """Accumulates images, then computes COCO metrics like pycocotools' COCOeval.

  Each image is matched when added; `result` only accumulates, so it can be
  called at any time.
  """

  def __init__(self, iou_type: str, num_classes: int,
               oks_sigmas: Sequence[float] | None = None):
    if iou_type not in _SETTINGS:
      raise ValueError(f'iou_type must be one of {sorted(_SETTINGS)}, got {iou_type!r}.')
    if iou_type == 'keypoints' and oks_sigmas is None:
      raise ValueError("iou_type 'keypoints' needs oks_sigmas.")
    self.iou_type = iou_type
    self.num_classes = num_classes
    self._sigmas = None if oks_sigmas is None else np.asarray(oks_sigmas, np.float64)
    self._area_ranges, self._max_dets, self._summary = _SETTINGS[iou_type]
    # Per class: per image (in order) the sorted scores and the [A, T, D]
    # matched and ignored flags of its detections; regular gts per class and area.
    self._scores = [[] for _ in range(num_classes)]
    self._matched = [[] for _ in range(num_classes)]
    self._ignored = [[] for _ in range(num_classes)]
    self._num_regular = np.zeros((num_classes, len(self._area_ranges)), np.int64)

  def add_image(self, *, gt_boxes, gt_labels, gt_is_crowd, gt_areas, det_boxes,
                det_labels, det_scores, gt_keypoints=None, det_keypoints=None):
    """Matches one image's detections to its ground truth and stores the result.

    Args:
      gt_boxes: [N, 4] (ymin, xmin, ymax, xmax).
      gt_labels: [N] class ids in [0, num_classes).
      gt_is_crowd: [N] crowd flags.
      gt_areas: [N] annotation areas (decide the area range and, for
        keypoints, the OKS scale).
      det_boxes: [M, 4] (ymin, xmin, ymax, xmax); unused for 'keypoints'.
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
    gt_crowd = np.asarray(gt_is_crowd, bool).reshape(-1)
    gt_areas = np.asarray(gt_areas, np.float64).reshape(-1)
    det_scores = np.asarray(det_scores, np.float64).reshape(-1)
    gt_xywh = _to_xywh(gt_boxes)
    gt_ignore = gt_crowd.copy()
    if self.iou_type == 'bbox':
      det_xywh = _to_xywh(det_boxes)
      det_areas = det_xywh[:, 2] * det_xywh[:, 3]
    else:
      num_kpts = len(self._sigmas)
      gt_kpts = np.asarray(gt_keypoints, np.float64).reshape(-1, num_kpts, 3)
      gt_visible = gt_kpts[..., 2] > 0
      gt_kpts = gt_kpts[..., 1::-1]
      det_kpts = np.asarray(det_keypoints, np.float64)[..., 1::-1].reshape(-1, num_kpts, 2)
      # As `COCO.loadRes`: the area of the extent of all detected keypoints.
      extent = det_kpts.max(1) - det_kpts.min(1)
      det_areas = extent[:, 0] * extent[:, 1]
      gt_ignore |= ~gt_visible.any(-1)
    lo, hi = self._area_ranges[:, :1], self._area_ranges[:, 1:]
    gt_ignore = gt_ignore | (gt_areas < lo) | (gt_areas > hi)  # [A, N]
    det_outside = (det_areas < lo) | (det_areas > hi)  # [A, M]

    for c in np.unique(np.concatenate([gt_labels, det_labels])):
      gts = np.flatnonzero(gt_labels == c)
      dets = np.flatnonzero(det_labels == c)
      dets = dets[np.argsort(-det_scores[dets], kind='mergesort')][:self._max_dets[-1]]
      if self.iou_type == 'bbox':
        sim = _box_iou(det_xywh[dets], gt_xywh[gts], gt_crowd[gts])
      else:
        sim = _oks(det_kpts[dets], gt_kpts[gts], gt_visible[gts], gt_xywh[gts],
                   gt_areas[gts], self._sigmas)
      matched, matched_ignored = _match(sim, gt_ignore[:, gts], gt_crowd[gts])
      # Unmatched detections outside the area range do not count either.
      ignored = matched_ignored | (~matched & det_outside[:, None, dets])
      self._scores[c].append(det_scores[dets])
      self._matched[c].append(matched)
      self._ignored[c].append(ignored)
      self._num_regular[c] += (~gt_ignore[:, gts]).sum(1)

  def _accumulate(self):
    """Precision [T, R, K, A, M] and recall [T, K, A, M] as `COCOeval.accumulate`."""
    num_t, num_r, num_a = len(_IOU_THRESHOLDS), len(_RECALL_THRESHOLDS), len(self._area_ranges)
    shape = (num_t, self.num_classes, num_a, len(self._max_dets))
    precision = -np.ones(shape[:1] + (num_r,) + shape[1:])
    recall = -np.ones(shape)
    for c in range(self.num_classes):
      if not self._scores[c]:
        continue
      scores = np.concatenate(self._scores[c])
      rank = np.concatenate([np.arange(len(s)) for s in self._scores[c]])
      matched = np.concatenate(self._matched[c], axis=-1)
      ignored = np.concatenate(self._ignored[c], axis=-1)
      for m, max_det in enumerate(self._max_dets):
        keep = np.flatnonzero(rank < max_det)
        keep = keep[np.argsort(-scores[keep], kind='mergesort')]
        counted = ~ignored[..., keep]
        tp = np.cumsum(matched[..., keep] & counted, axis=-1, dtype=np.float64)
        fp = np.cumsum(~matched[..., keep] & counted, axis=-1, dtype=np.float64)
        num_dets = len(keep)
        for a in range(num_a):
          num_regular = self._num_regular[c, a]
          if num_regular == 0:
            continue
          rc = tp[a] / num_regular
          pr = tp[a] / (fp[a] + tp[a] + np.spacing(1))
          recall[:, c, a, m] = rc[:, -1] if num_dets else 0
          pr = np.maximum.accumulate(pr[:, ::-1], axis=-1)[:, ::-1]  # envelope
          for t in range(num_t):
            idx = np.searchsorted(rc[t], _RECALL_THRESHOLDS, side='left')
            reached = idx < num_dets
            precision[t, reached, c, a, m] = pr[t, idx[reached]]
            precision[t, ~reached, c, a, m] = 0
    return precision, recall

  def result(self) -> dict[str, float]:
    """The COCO summary metrics; -1.0 where no gt counts in that setting."""
    precision, recall = self._accumulate()
    out = {}
    for name, is_ap, t, a, m in self._summary:
      s = precision[..., a, m] if is_ap else recall[..., a, m]
      if t is not None:
        s = s[t]
      s = s[s > -1]
      out[name] = float(s.mean()) if s.size else -1.0
    return out
