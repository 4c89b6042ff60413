"""Tests for transfer/visualize.py: pixels of the drawn images."""

import numpy as np
import pytest

from transfer import visualize

NEAR = np.array([253, 231, 37])  # viridis(1): colorize_depth's near end.
FAR = np.array([68, 1, 84])  # viridis(0): its far end.


def _black(h=64, w=64):
  return np.zeros((h, w, 3), np.uint8)


# Pascal VOC's colour map (VOCdevkit's labelcolormap / the VOC2012 PNGs) for
# ids 1..20, written out: palette(n) gives ids 1..n these colours.
VOC_COLOURS = np.array([
    [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128], [128, 0, 128],
    [0, 128, 128], [128, 128, 128], [64, 0, 0], [192, 0, 0], [64, 128, 0],
    [192, 128, 0], [64, 0, 128], [192, 0, 128], [64, 128, 128], [192, 128, 128],
    [0, 64, 0], [128, 64, 0], [0, 192, 0], [128, 192, 0], [0, 64, 128]], np.uint8)


def test_palette_is_pascal_voc():
  np.testing.assert_array_equal(visualize.palette(20), VOC_COLOURS)
  np.testing.assert_array_equal(visualize.palette(3), VOC_COLOURS[:3])
  colours = visualize.palette(150)
  assert colours.shape == (150, 3) and colours.dtype == np.uint8
  assert len(np.unique(colours, axis=0)) == 150
  assert not (colours == 0).all(-1).any()  # Black is left for ignore.
  np.testing.assert_array_equal(colours[:20], VOC_COLOURS)


def test_colorize_segmentation():
  labels = np.random.default_rng(0).integers(0, 5, (16, 20))
  labels[0, :3] = [255, 7, -1]  # ignore, >= num_classes, negative.
  original = labels.copy()
  out = visualize.colorize_segmentation(labels, num_classes=5, ignore_label=255)
  assert out.shape == (16, 20, 3) and out.dtype == np.uint8
  for c in range(5):
    assert (out[labels == c] == VOC_COLOURS[c]).all()
  assert (out[0, :3] == 0).all()
  np.testing.assert_array_equal(labels, original)


def test_overlay():
  rng = np.random.default_rng(0)
  image = rng.integers(0, 256, (8, 9, 3)).astype(np.float32)
  colours = rng.integers(0, 256, (8, 9, 3)).astype(np.uint8)
  original = image.copy()
  np.testing.assert_array_equal(visualize.overlay(image, colours, 0.0), image)
  np.testing.assert_array_equal(visualize.overlay(image, colours, 1.0), colours)
  half = visualize.overlay(image, colours, 0.5)
  assert half.dtype == np.uint8
  assert np.abs(half - (image + colours) / 2).max() <= 0.5
  where = np.zeros((8, 9), bool)
  where[2:5, 3:7] = True
  out = visualize.overlay(image, colours, 1.0, where=where)
  np.testing.assert_array_equal(out[where], colours[where])
  np.testing.assert_array_equal(out[~where], image[~where])
  np.testing.assert_array_equal(image, original)


def test_colorize_depth_monotonic_and_invalid():
  depth = np.linspace(1.0, 10.0, 200)[None].repeat(3, 0)
  depth[1, ::7] = 0.0
  depth[2, 5] = np.nan
  out = visualize.colorize_depth(depth)
  assert out.shape == (3, 200, 3) and out.dtype == np.uint8
  assert (out[1, ::7] == 0).all() and (out[2, 5] == 0).all()
  np.testing.assert_array_equal(out[0, 0], NEAR)
  np.testing.assert_array_equal(out[0, -1], FAR)
  distance = np.linalg.norm(out[0].astype(float) - NEAR, axis=-1)
  assert (np.diff(distance) >= -1.0).all()  # Up to uint8 rounding.
  assert distance[-1] > distance[100] > distance[50] > 0
  assert len(np.unique(out[0], axis=0)) > 50


def test_colorize_depth_vmin_vmax():
  depth = np.array([[0.5, 2.0, 3.0, 4.0, 8.0, 0.0]])
  out = visualize.colorize_depth(depth, vmin=2.0, vmax=4.0)
  np.testing.assert_array_equal(out[0, 0], NEAR)
  np.testing.assert_array_equal(out[0, 1], NEAR)
  np.testing.assert_array_equal(out[0, 3], FAR)
  np.testing.assert_array_equal(out[0, 4], FAR)
  assert (out[0, 5] == 0).all()
  assert not (out[0, 2] == NEAR).all() and not (out[0, 2] == FAR).all()
  # The same range as explicit arguments or as defaults gives the same colours.
  np.testing.assert_array_equal(
      visualize.colorize_depth(depth[:, 1:4]), out[:, 1:4])
  assert not visualize.colorize_depth(np.zeros((4, 4))).any()


def test_draw_boxes():
  image = _black()
  names = ['cat', 'dog', 'car']
  colour = VOC_COLOURS[1]  # 'dog', id 1.
  out = visualize.draw_boxes(image, np.array([[20., 10., 50., 40.]]), [1], names)
  assert out.shape == (64, 64, 3) and out.dtype == np.uint8
  assert not image.any()
  for y, x in [(20, 25), (21, 25), (50, 25), (49, 25), (35, 10), (35, 11),
               (35, 40), (35, 39)]:
    np.testing.assert_array_equal(out[y, x], colour)
  assert not out[23:48, 13:38].any()
  caption = out[:20, 10:]
  assert (caption == colour).all(-1).sum() > 50  # The filled strip,
  assert (caption != colour).any(-1).sum() > 5  # with text on it.
  assert not out[:5].any()  # The strip is only as tall as the text.
  scored = visualize.draw_boxes(image, [[20, 10, 50, 40]], np.array([1]), names,
                                scores=[0.87])
  assert (scored[:20] != out[:20]).any()
  np.testing.assert_array_equal(scored[20:], out[20:])


def test_draw_boxes_at_edges():
  names = ['cat', 'dog']
  colours = np.array([[255, 0, 0], [0, 0, 255]])
  # Touching the top: the caption is inside the image, at the top of the box.
  out = visualize.draw_boxes(_black(), [[0, 10, 40, 40]], [0], names,
                             colours=colours)
  assert (out[2:10, 12:30] == [255, 0, 0]).all(-1).sum() > 20
  # Partly outside: clipped; entirely outside: nothing drawn.
  out = visualize.draw_boxes(_black(), [[-10, -10, 100, 30], [70, 70, 90, 90]],
                             [1, 0], names, scores=[0.5, 0.9], colours=colours)
  np.testing.assert_array_equal(out[40, 30], [0, 0, 255])
  np.testing.assert_array_equal(out[63, 15], [0, 0, 255])
  assert not (out == [255, 0, 0]).all(-1).any()
  assert not visualize.draw_boxes(_black(), np.zeros((0, 4)), [], names).any()


def test_draw_keypoints():
  image = _black()
  keypoints = np.array([
      [[10, 10, 2], [10, 50, 1], [40, 30, 0]],
      [[50, 10, 0.3], [50, 50, 0.9], [60, 30, 0.9]],
  ], np.float32)
  original = keypoints.copy()
  skeleton = ((0, 1), (1, 2))
  colours = VOC_COLOURS[:2]  # One per instance.
  out = visualize.draw_keypoints(image, keypoints, skeleton)
  assert out.shape == (64, 64, 3) and out.dtype == np.uint8
  for y, x in [(10, 10), (11, 10), (10, 50), (10, 30)]:
    np.testing.assert_array_equal(out[y, x], colours[0])
  assert not out[38:43, 28:33].any()  # v = 0.
  assert not out[25, 40].any()  # Line to an undrawn point.
  for y, x in [(50, 10), (50, 50), (60, 30), (55, 40)]:  # All v > 0.
    np.testing.assert_array_equal(out[y, x], colours[1])
  np.testing.assert_array_equal(image, _black())
  np.testing.assert_array_equal(keypoints, original)

  out = visualize.draw_keypoints(image, keypoints, skeleton, threshold=0.5,
                                 colours=[[1, 2, 3], [200, 100, 50]])
  np.testing.assert_array_equal(out[10, 10], [1, 2, 3])
  assert not out[48:53, 8:13].any()  # 0.3 <= threshold.
  np.testing.assert_array_equal(out[50, 50], [200, 100, 50])
  np.testing.assert_array_equal(out[55, 40], [200, 100, 50])
  # Coordinates outside the image are clipped to it.
  out = visualize.draw_keypoints(image, [[[-5, 100, 2]]])
  np.testing.assert_array_equal(out[0, 63], colours[0])


def test_side_by_side():
  rng = np.random.default_rng(0)
  panels = [rng.integers(0, 256, (6, w, 3)).astype(np.uint8) for w in (5, 7, 9)]
  out = visualize.side_by_side(panels)
  assert out.shape == (6, 5 + 7 + 9 + 2 * 4, 3) and out.dtype == np.uint8
  np.testing.assert_array_equal(out[:, 0:5], panels[0])
  np.testing.assert_array_equal(out[:, 9:16], panels[1])
  np.testing.assert_array_equal(out[:, 20:29], panels[2])
  assert (out[:, 5:9] == 255).all() and (out[:, 16:20] == 255).all()

  panels = [rng.integers(0, 256, (20, 40, 3)).astype(np.uint8) for _ in range(2)]
  out = visualize.side_by_side(panels, titles=['image', 'pred'], gap=2)
  strip = out.shape[0] - 20
  assert strip > 5 and out.shape[1] == 82
  np.testing.assert_array_equal(out[strip:, :40], panels[0])
  np.testing.assert_array_equal(out[strip:, 42:], panels[1])
  for title in (out[:strip, :40], out[:strip, 42:]):
    assert (title < 128).any() and (title == 255).any()
  with pytest.raises(ValueError):
    visualize.side_by_side([panels[0], panels[0][:10]])


def test_annotations_draws_each_present_annotation():
  from transfer.data import catalog  # pylint: disable=g-import-not-at-top
  from transfer_datasets.synthetic import render  # pylint: disable=g-import-not-at-top
  info = catalog.get('synthetic_sunny')
  example = render.render(0, render.DOMAINS['sunny'], 64, 48)
  panels = visualize.annotations(example, info)
  title_h = panels.shape[0] - 64
  gap = 4
  assert panels.shape[1] == 5 * 48 + 4 * gap  # image, segmentation, depth, boxes, keypoints
  first = panels[title_h:, :48]
  np.testing.assert_array_equal(first, example['image'])
  # The segmentation panel is the overlay of the palette colours.
  labels = example['segmentation'][..., 0]
  expected = visualize.overlay(example['image'], visualize.colorize_segmentation(
      labels, info.num_classes, info.ignore_label), alpha=0.6,
                               where=labels != info.ignore_label)
  np.testing.assert_array_equal(panels[title_h:, 48 + gap:2 * 48 + gap], expected)
  # Boxes and keypoints are drawn at pixel coordinates: normalised boxes times
  # (h, w); keypoint centres at normalised * size - 0.5.
  objects = example['objects']
  boxes = visualize.draw_boxes(example['image'], objects['bbox'] * [64, 48, 64, 48],
                               objects['label'], info.object_classes)
  np.testing.assert_array_equal(panels[title_h:, 3 * (48 + gap):3 * (48 + gap) + 48], boxes)
  points = visualize.draw_keypoints(example['image'],
                                    objects['keypoints'] * [64, 48, 1] - [0.5, 0.5, 0],
                                    info.keypoint_skeleton)
  np.testing.assert_array_equal(panels[title_h:, 4 * (48 + gap):], points)
  example.update(has_depth=False, has_keypoints=False)
  assert visualize.annotations(example, info).shape[1] == 3 * 48 + 2 * gap
