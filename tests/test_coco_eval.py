"""CocoEvaluator (pycocotools' COCOeval behind the project's interface) and PCK.

CocoEvaluator converts our boxes (ymin, xmin, ymax, xmax) and keypoints (y, x)
into COCO's records itself; the tests build COCO's records independently here
and run COCOeval on them directly, and check closed-form values.
"""

import contextlib
import io
import warnings

import numpy as np
import pytest

with warnings.catch_warnings():
  warnings.simplefilter('ignore', DeprecationWarning)
  from pycocotools import coco as pycoco
  from pycocotools import cocoeval

from transfer.metrics import coco
from transfer.metrics import pck as pck_lib

_BBOX_KEYS = ('ap', 'ap50', 'ap75', 'ap_small', 'ap_medium', 'ap_large', 'ar1', 'ar10',
              'ar100', 'ar_small', 'ar_medium', 'ar_large')
_KPT_KEYS = ('ap', 'ap50', 'ap75', 'ap_medium', 'ap_large', 'ar', 'ar50', 'ar75',
             'ar_medium', 'ar_large')


def _xywh(box):
  ymin, xmin, ymax, xmax = (float(v) for v in box)
  return [xmin, ymin, xmax - xmin, ymax - ymin]


def _xyv(keypoints):
  """[K, 2 or 3] (y, x[, v]) -> COCO's flat [x, y, v, ...] (v = 1 if absent)."""
  return [float(v) for k in keypoints
          for v in (k[1], k[0], k[2] if len(k) > 2 else 1.)]


def _pycocotools_stats(iou_type, num_classes, images, sigmas=None):
  """COCOeval's stats for images given as `CocoEvaluator.add_image` kwargs."""
  gt_anns, dets = [], []
  for image_id, im in enumerate(images):
    for i in range(len(im['gt_labels'])):
      ann = {'id': len(gt_anns) + 1, 'image_id': image_id,  # id 0 means "unmatched".
             'category_id': int(im['gt_labels'][i]), 'bbox': _xywh(im['gt_boxes'][i]),
             'area': float(im['gt_areas'][i]), 'iscrowd': int(im['gt_is_crowd'][i])}
      if iou_type == 'keypoints':
        ann['keypoints'] = _xyv(im['gt_keypoints'][i])
        ann['num_keypoints'] = int((im['gt_keypoints'][i][:, 2] > 0).sum())
      gt_anns.append(ann)
    for i in range(len(im['det_labels'])):
      # A keypoint result must not carry 'bbox': loadRes would then take the
      # box area instead of the keypoint extent.
      det = {'image_id': image_id, 'category_id': int(im['det_labels'][i]),
             'score': float(im['det_scores'][i])}
      if iou_type == 'bbox':
        det['bbox'] = _xywh(im['det_boxes'][i])
      else:
        det['keypoints'] = _xyv(im['det_keypoints'][i])
      dets.append(det)
  gt = pycoco.COCO()
  gt.dataset = {'images': [{'id': i} for i in range(len(images))],
                'categories': [{'id': c} for c in range(num_classes)],
                'annotations': gt_anns}
  with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
    warnings.simplefilter('ignore', DeprecationWarning)
    gt.createIndex()
    if dets:
      dt = gt.loadRes(dets)
    else:  # loadRes cannot take an empty list.
      dt = pycoco.COCO()
      dt.dataset = dict(gt.dataset, annotations=[])
      dt.createIndex()
    evaluator = cocoeval.COCOeval(gt, dt, iou_type)
    if sigmas is not None:
      evaluator.params.kpt_oks_sigmas = np.array(sigmas)
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
  return evaluator.stats


def _ours(iou_type, num_classes, images, sigmas=None):
  evaluator = coco.CocoEvaluator(iou_type, num_classes, sigmas)
  for im in images:
    evaluator.add_image(**im)
  return evaluator.result()


def _assert_equal_to_pycocotools(iou_type, num_classes, images, sigmas=None):
  ours = _ours(iou_type, num_classes, images, sigmas)
  keys = _BBOX_KEYS if iou_type == 'bbox' else _KPT_KEYS
  assert list(ours) == list(keys)
  theirs = _pycocotools_stats(iou_type, num_classes, images, sigmas)
  np.testing.assert_allclose([ours[k] for k in keys], theirs, rtol=0, atol=1e-6)
  return ours


def _empty_image(num_kpts=5):
  return dict(gt_boxes=np.zeros((0, 4)), gt_labels=[], gt_is_crowd=[], gt_areas=[],
              det_boxes=np.zeros((0, 4)), det_labels=[], det_scores=[],
              gt_keypoints=np.zeros((0, num_kpts, 3)), det_keypoints=np.zeros((0, num_kpts, 2)))


def _random_boxes(rng, n, integer=False):
  """Sides of 5 to 300 px; integer boxes also hit the area bounds 32**2, 96**2."""
  size = np.exp(rng.uniform(np.log(5), np.log(300), (n, 2)))
  corner = rng.uniform(0, 400, (n, 2))
  if integer:
    size = np.where(rng.random((n, 1)) < .2, rng.choice([32., 96.], (n, 1)), np.round(size))
    corner = np.round(corner)
  return np.concatenate([corner, corner + size], axis=1)


def _jitter(rng, boxes, scale):
  h = boxes[:, 2] - boxes[:, 0]
  w = boxes[:, 3] - boxes[:, 1]
  return boxes + rng.normal(0, scale, boxes.shape) * np.stack([h, w, h, w], 1)


def _random_bbox_image(rng, num_classes, tie_scores, integer, crowded=False):
  """Gts, jittered copies of them and false positives; some images empty.

  A crowded image has over 100 detections of class 0, to exercise maxDets.
  """
  num_gt = 30 if crowded else 0 if rng.random() < .15 else rng.integers(1, 9)
  gt_boxes = _random_boxes(rng, num_gt, integer)
  gt_labels = rng.integers(0, 1 if crowded else num_classes, num_gt)
  box_areas = (gt_boxes[:, 2] - gt_boxes[:, 0]) * (gt_boxes[:, 3] - gt_boxes[:, 1])
  # Mask areas differ from box areas (as in COCO) and sometimes equal them.
  gt_areas = np.where(rng.random(num_gt) < .3, box_areas,
                      box_areas * rng.uniform(.3, 1., num_gt))
  copies = np.repeat(np.arange(num_gt), rng.integers(0, 3, num_gt))
  det_boxes = _jitter(rng, gt_boxes[copies], .08)
  det_labels = np.where(rng.random(len(copies)) < .9, gt_labels[copies],
                        rng.integers(0, num_classes, len(copies)))
  num_fp = 100 if crowded else rng.integers(0, 6)
  det_boxes = np.concatenate([det_boxes, _random_boxes(rng, num_fp, integer)])
  det_labels = np.concatenate([det_labels, rng.integers(0, 1 if crowded else num_classes,
                                                        num_fp)])
  if not crowded and rng.random() < .15:
    det_boxes, det_labels = det_boxes[:0], det_labels[:0]
  if integer:
    det_boxes = np.round(det_boxes)
  num_det = len(det_labels)
  scores = (rng.choice([.1, .5, .9], num_det) if tie_scores
            else rng.uniform(0, 1, num_det))
  return dict(gt_boxes=gt_boxes, gt_labels=gt_labels,
              gt_is_crowd=rng.random(num_gt) < .1, gt_areas=gt_areas,
              det_boxes=det_boxes, det_labels=det_labels, det_scores=scores)


@pytest.mark.parametrize('seed,tie_scores,integer', [
    (0, False, False), (1, True, False), (2, True, True), (3, False, True)])
def test_bbox_matches_pycocotools(seed, tie_scores, integer):
  rng = np.random.default_rng(seed)
  images = [_random_bbox_image(rng, 12, tie_scores, integer, crowded=i == 3)
            for i in range(40)]
  images.append(_empty_image())
  ours = _assert_equal_to_pycocotools('bbox', 12, images)
  assert ours['ar1'] < ours['ar10'] < ours['ar100']
  assert all(0 < v < 1 for v in ours.values())


def _random_keypoint_image(rng, num_classes, num_kpts, crowded=False):
  num_gt = 0 if rng.random() < .15 else rng.integers(1, 6)
  gt_boxes = _random_boxes(rng, num_gt)
  lo, size = gt_boxes[:, None, :2], gt_boxes[:, None, 2:] - gt_boxes[:, None, :2]
  gt_yx = lo + rng.uniform(0, 1, (num_gt, num_kpts, 2)) * size
  visibility = rng.choice([0, 1, 2], (num_gt, num_kpts), p=[.3, .2, .5])
  visibility[rng.random(num_gt) < .2] = 0  # no labelled keypoint
  gt_keypoints = np.concatenate([gt_yx, visibility[..., None]], -1)
  box_areas = np.prod(size[:, 0], -1)
  # Zero areas exercise the np.spacing(1) term of computeOks.
  gt_areas = box_areas * rng.uniform(.3, 1., num_gt) * (rng.random(num_gt) > .1)
  gt_labels = rng.integers(0, num_classes, num_gt)
  copies = np.repeat(np.arange(num_gt), rng.integers(0, 3, num_gt))
  scale = rng.uniform(0, .15, len(copies)) * (rng.random(len(copies)) > .25)
  noise = rng.normal(0, 1, (len(copies), num_kpts, 2)) * (
      scale * np.sqrt(box_areas[copies]))[:, None, None]
  num_fp = 30 if crowded else rng.integers(0, 4)
  fp_boxes = _random_boxes(rng, num_fp)
  fp_yx = fp_boxes[:, None, :2] + rng.uniform(0, 1, (num_fp, num_kpts, 2)) * (
      fp_boxes[:, None, 2:] - fp_boxes[:, None, :2])
  det_yx = np.concatenate([gt_yx[copies] + noise, fp_yx])
  det_labels = np.concatenate([gt_labels[copies],
                               rng.integers(0, num_classes, num_fp)])
  num_det = len(det_labels)
  det_keypoints = (np.concatenate([det_yx, rng.uniform(0, 1, (num_det, num_kpts, 1))], -1)
                   if rng.random() < .5 else det_yx)
  return dict(gt_boxes=gt_boxes, gt_labels=gt_labels,
              gt_is_crowd=rng.random(num_gt) < .1, gt_areas=gt_areas,
              det_boxes=_random_boxes(rng, num_det),  # unused for keypoints
              det_labels=det_labels, det_scores=rng.choice([.2, .6, .7], num_det),
              gt_keypoints=gt_keypoints, det_keypoints=det_keypoints)


@pytest.mark.parametrize('seed,num_classes,sigmas', [
    (0, 1, coco.COCO_KEYPOINT_SIGMAS), (1, 3, coco.COCO_KEYPOINT_SIGMAS),
    (2, 2, (.1, .05, .2, .08, .03))])
def test_keypoints_match_pycocotools(seed, num_classes, sigmas):
  rng = np.random.default_rng(seed)
  images = [_random_keypoint_image(rng, num_classes, len(sigmas), crowded=i == 2)
            for i in range(40)]
  ours = _assert_equal_to_pycocotools('keypoints', num_classes, images, sigmas)
  assert all(0 < v < 1 for v in ours.values())


def test_empty_evaluator_gives_minus_one():
  assert set(_ours('bbox', 3, []).values()) == {-1.}
  assert set(_ours('keypoints', 1, [], coco.COCO_KEYPOINT_SIGMAS).values()) == {-1.}
  ours = _assert_equal_to_pycocotools('keypoints', 2, [_empty_image()] * 3, [.1] * 5)
  assert set(ours.values()) == {-1.}


def test_perfect_detections():
  rng = np.random.default_rng(0)
  boxes = np.array([[10, 10, 20, 30], [50, 60, 150, 120], [0, 0, 300, 300.]])
  areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
  keypoints = np.concatenate([rng.uniform(0, 100, (3, 17, 2)), np.full((3, 17, 1), 2)], -1)
  image = dict(gt_boxes=boxes, gt_labels=[0, 1, 1], gt_is_crowd=[False] * 3,
               gt_areas=areas, det_boxes=boxes, det_labels=[0, 1, 1],
               det_scores=[.9, .8, .7], gt_keypoints=keypoints,
               det_keypoints=keypoints[..., :2])
  bbox = _assert_equal_to_pycocotools('bbox', 2, [image])
  # Precision is tp / (tp + fp + eps), hence approx; with maxDets 1 the second
  # class recalls one of its two boxes.
  assert bbox == pytest.approx(dict.fromkeys(_BBOX_KEYS, 1.) | {'ar1': .75}, abs=1e-12)
  kpts = _assert_equal_to_pycocotools('keypoints', 2, [image], coco.COCO_KEYPOINT_SIGMAS)
  assert kpts == pytest.approx(dict.fromkeys(_KPT_KEYS, 1.), abs=1e-12)


def test_one_hit_and_one_false_positive_closed_form():
  # Two gts; the best detection hits one exactly, the next is a miss: recall
  # reaches 1/2 at precision 1, so 51 of the 101 recall points have precision 1
  # at every IoU threshold, and recall is 1/2.
  gt = np.array([[0, 0, 50, 50], [100, 100, 160, 180.]])
  image = dict(gt_boxes=gt, gt_labels=[0, 0], gt_is_crowd=[False, False],
               gt_areas=[2500., 4800.], det_boxes=np.array([gt[0], [300, 300, 350, 350.]]),
               det_labels=[0, 0], det_scores=[.9, .8])
  ours = _ours('bbox', 1, [image])
  assert ours['ap'] == pytest.approx(51 / 101) and ours['ap50'] == pytest.approx(51 / 101)
  assert ours['ar100'] == pytest.approx(.5) and ours['ar1'] == pytest.approx(.5)
  # Both gts are medium (32^2 < area < 96^2): no small or large ones count.
  assert ours['ap_small'] == ours['ap_large'] == -1.0


def test_pck_against_loop():
  rng = np.random.default_rng(0)
  gt = np.concatenate([rng.uniform(0, 100, (6, 4, 2)),
                       rng.integers(0, 3, (6, 4, 1))], -1)
  pred = gt[..., :2] + rng.normal(0, 6, (6, 4, 2))
  boxes = np.concatenate([rng.uniform(0, 50, (6, 2)), rng.uniform(60, 150, (6, 2))], -1)
  correct = labelled = 0
  for n in range(6):
    scale = max(boxes[n, 2] - boxes[n, 0], boxes[n, 3] - boxes[n, 1])
    for k in range(4):
      if gt[n, k, 2] > 0:
        labelled += 1
        correct += np.hypot(*(pred[n, k] - gt[n, k, :2])) <= .1 * scale
  assert 0 < correct < labelled
  assert pck_lib.pck(gt, pred, boxes) == (correct, labelled)
  assert pck_lib.pck_from_counts(correct, labelled) == correct / labelled
  assert pck_lib.pck(gt, gt, boxes, alpha=0.) == (labelled, labelled)


def test_pckh_against_loop():
  # MPII's evaluatePCKh.m: correct if the distance is at most 0.5 * 0.6 * the
  # head box diagonal; only labelled joints count.
  rng = np.random.default_rng(1)
  gt = np.concatenate([rng.uniform(0, 100, (5, 16, 2)), rng.integers(0, 3, (5, 16, 1))], -1)
  pred = gt[..., :2] + rng.normal(0, 4, (5, 16, 2))
  heads = rng.uniform(10, 30, 5)
  correct, labelled = np.zeros(16), np.zeros(16)
  for n in range(5):
    for k in range(16):
      if gt[n, k, 2] > 0:
        labelled[k] += 1
        correct[k] += np.hypot(*(pred[n, k] - gt[n, k, :2])) <= 0.5 * 0.6 * heads[n]
  assert 0 < correct.sum() < labelled.sum()
  got = pck_lib.pckh(gt, pred, heads)
  np.testing.assert_array_equal(got[0], correct)
  np.testing.assert_array_equal(got[1], labelled)


def test_paired_predictions_find_each_persons_instance():
  rng = np.random.default_rng(2)
  gt = np.concatenate([rng.uniform(0, 200, (3, 16, 2)), np.full((3, 16, 1), 2.)], -1)
  heads = np.full(3, 20.)
  # Instances: person 2, junk, person 0, person 1 (the junk scores lowest).
  pred = np.stack([gt[2, :, :2], rng.uniform(0, 200, (16, 2)), gt[0, :, :2], gt[1, :, :2]])
  np.testing.assert_array_equal(
      pck_lib.paired_predictions(gt, pred, [.9, .1, .8, .7], heads), [2, 3, 0])
  # The three best-scoring predictions only: the junk one is paired, not the lowest.
  np.testing.assert_array_equal(
      pck_lib.paired_predictions(gt, pred, [.9, .8, .7, .1], heads)[[0, 2]], [2, 0])
  # Fewer predictions than people: one goes without.
  assert sorted(pck_lib.paired_predictions(gt, pred[:2], [.9, .8], heads)) == [-1, 0, 1]
