"""Drawing helpers: predictions and ground truth as uint8 RGB images.

For TensorBoard image summaries and PNG files. Every function returns a new
uint8 [H, W, 3] array and leaves its inputs alone; images may be float or int
in [0, 255], coordinates are pixels of the given image (y before x).
"""

import functools
from typing import Optional, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Viridis at 0, .25, .5, .75, 1; colorize_depth draws near bright, far dark.
_VIRIDIS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140],
                     [94, 201, 98], [253, 231, 37]], np.float64)
_POINT_RADIUS = 2
_LINE_WIDTH = 2


@functools.cache
def _font():
  return ImageFont.load_default()


def _uint8(image) -> np.ndarray:
  return np.clip(np.rint(np.asarray(image, np.float64)), 0, 255).astype(np.uint8)


def _text_size(draw, text):
  """(ink width, height below the origin, ink's left offset) of `text`."""
  left, _, right, bottom = draw.textbbox((0, 0), text, font=_font())
  return right - left, bottom, left


def palette(num_classes: int) -> np.ndarray:
  """[num_classes, 3] uint8 Pascal VOC bit-interleaved colours of ids 1..n.

  Starting at 1 keeps black free for ignore / invalid pixels.
  """
  ids = np.arange(1, num_classes + 1)
  colours = np.zeros((num_classes, 3), np.int64)
  for bit in range(8):
    for channel in range(3):
      colours[:, channel] |= ((ids >> (3 * bit + channel)) & 1) << (7 - bit)
  return colours.astype(np.uint8)


def colorize_segmentation(labels, num_classes: int, ignore_label: int) -> np.ndarray:
  """[H, W] class ids -> palette colours; ignore and out-of-range ids -> black."""
  labels = np.asarray(labels).astype(np.int64)
  valid = (labels >= 0) & (labels < num_classes) & (labels != ignore_label)
  out = np.zeros(labels.shape + (3,), np.uint8)
  out[valid] = palette(num_classes)[labels[valid]]
  return out


def overlay(image, colours, alpha: float = 0.5, where=None) -> np.ndarray:
  """`alpha * colours + (1 - alpha) * image`, only where `where` [H, W] is True."""
  image = np.asarray(image, np.float64)
  blended = (1 - alpha) * image + alpha * np.asarray(colours, np.float64)
  if where is not None:
    blended = np.where(np.asarray(where, bool)[..., None], blended, image)
  return _uint8(blended)


def colorize_depth(depth, vmin: Optional[float] = None,
                   vmax: Optional[float] = None) -> np.ndarray:
  """[H, W] metres -> viridis, near (<= vmin) yellow to far (>= vmax) purple.

  Pixels <= 0 (invalid) or not finite are black; vmin / vmax default to the
  range of the valid pixels.
  """
  depth = np.asarray(depth, np.float64)
  valid = np.isfinite(depth) & (depth > 0)
  out = np.zeros(depth.shape + (3,), np.uint8)
  if not valid.any():
    return out
  vmin = depth[valid].min() if vmin is None else vmin
  vmax = depth[valid].max() if vmax is None else vmax
  t = 1 - np.clip((depth[valid] - vmin) / max(vmax - vmin, 1e-12), 0, 1)
  stops = np.linspace(0, 1, len(_VIRIDIS))
  out[valid] = _uint8(np.stack(
      [np.interp(t, stops, _VIRIDIS[:, c]) for c in range(3)], -1))
  return out


def draw_boxes(image, boxes, labels, class_names: Sequence[str], scores=None,
               colours=None) -> np.ndarray:
  """Draws [N, 4] (ymin, xmin, ymax, xmax) boxes with "name [score]" captions.

  `colours` is [num_classes, 3], palette(len(class_names)) by default.
  """
  canvas = Image.fromarray(_uint8(image))
  draw = ImageDraw.Draw(canvas)
  h, w = canvas.height, canvas.width
  colours = palette(len(class_names)) if colours is None else _uint8(colours)
  for n, (y0, x0, y1, x1) in enumerate(np.rint(np.asarray(boxes, np.float64))):
    if y1 < 0 or x1 < 0 or y0 > h - 1 or x0 > w - 1:
      continue  # Entirely outside.
    y0, y1 = np.clip([y0, y1], 0, h - 1).astype(int)
    x0, x1 = np.clip([x0, x1], 0, w - 1).astype(int)
    label = int(labels[n])
    colour = tuple(int(c) for c in colours[label])
    draw.rectangle([x0, y0, x1, y1], outline=colour, width=_LINE_WIDTH)
    text = class_names[label]
    if scores is not None:
      text += f' {float(scores[n]):.2f}'
    text_w, text_h, text_left = _text_size(draw, text)
    strip_h = text_h + 2
    top = y0 - strip_h if y0 >= strip_h else y0
    left = max(0, min(x0, w - text_w - 4))
    draw.rectangle([left, top, left + text_w + 3, top + strip_h - 1], fill=colour)
    bright = np.dot(colour, [0.299, 0.587, 0.114]) > 128
    draw.text((left + 2 - text_left, top + 1), text, font=_font(),
              fill=(0, 0, 0) if bright else (255, 255, 255))
  return np.asarray(canvas)


def draw_keypoints(image, keypoints, skeleton: Sequence[tuple[int, int]] = (),
                   threshold: float = 0.0, colours=None) -> np.ndarray:
  """Draws [N, K, 3] (y, x, v) keypoints with v > threshold, and skeleton lines.

  `colours` is [N, 3], one per instance, palette(N) by default.
  """
  canvas = Image.fromarray(_uint8(image))
  draw = ImageDraw.Draw(canvas)
  keypoints = np.asarray(keypoints, np.float64)
  colours = palette(len(keypoints)) if colours is None else _uint8(colours)
  ys = np.clip(np.rint(keypoints[..., 0]), 0, canvas.height - 1).astype(int)
  xs = np.clip(np.rint(keypoints[..., 1]), 0, canvas.width - 1).astype(int)
  shown = keypoints[..., 2] > threshold
  r = _POINT_RADIUS
  for n in range(len(keypoints)):
    colour = tuple(int(c) for c in colours[n])
    for i, j in skeleton:
      if shown[n, i] and shown[n, j]:
        draw.line([(xs[n, i], ys[n, i]), (xs[n, j], ys[n, j])], fill=colour,
                  width=_LINE_WIDTH)
    for y, x in zip(ys[n][shown[n]], xs[n][shown[n]]):
      draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
  return np.asarray(canvas)


def side_by_side(panels, titles: Optional[Sequence[str]] = None,
                 gap: int = 4) -> np.ndarray:
  """Concatenates same-height panels left to right, white gaps, titles above."""
  panels = [_uint8(p) for p in panels]
  if len({p.shape[0] for p in panels}) != 1:
    raise ValueError(f'Panels differ in height: {[p.shape for p in panels]}')
  strip_h = 0
  if titles is not None:
    strip_h = _text_size(ImageDraw.Draw(Image.new('RGB', (1, 1))), 'Ag')[1] + 4
  width = sum(p.shape[1] for p in panels) + gap * (len(panels) - 1)
  out = np.full((strip_h + panels[0].shape[0], width, 3), 255, np.uint8)
  left = 0
  for n, panel in enumerate(panels):
    if titles is not None:
      strip = Image.new('RGB', (panel.shape[1], strip_h), (255, 255, 255))
      ImageDraw.Draw(strip).text((2, 2), titles[n], fill=(0, 0, 0), font=_font())
      out[:strip_h, left:left + panel.shape[1]] = np.asarray(strip)
    out[strip_h:, left:left + panel.shape[1]] = panel
    left += panel.shape[1] + gap
  return out


def annotations(example: dict, dataset) -> np.ndarray:
  """One decoded example (the format of transfer.data.features, as numpy)
  with each annotation it has drawn beside its image: segmentation, depth,
  boxes with class names, keypoints with the skeleton. `dataset` is its
  catalogue entry."""
  image = np.asarray(example['image'])
  h, w = image.shape[:2]
  panels, titles = [image], ['image']
  if example.get('has_segmentation', False):
    labels = np.asarray(example['segmentation'])[..., 0]
    colours = colorize_segmentation(labels, dataset.num_classes, dataset.ignore_label)
    panels.append(overlay(image, colours, alpha=0.6, where=labels != dataset.ignore_label))
    titles.append('segmentation')
  if example.get('has_depth', False):
    panels.append(colorize_depth(np.asarray(example['depth'])[..., 0]))
    titles.append('depth (m)')
  objects = example.get('objects', {})
  if example.get('has_boxes', False):
    boxes = np.asarray(objects['bbox'], np.float64) * np.array([h, w, h, w])
    panels.append(draw_boxes(image, boxes, objects['label'], dataset.object_classes))
    titles.append('boxes')
  if example.get('has_keypoints', False) and 'keypoints' in objects:
    # Normalised pixel centres are (index + 0.5) / size.
    pixels = np.asarray(objects['keypoints'], np.float64) * np.array([h, w, 1.0]) - np.array(
        [0.5, 0.5, 0.0])
    panels.append(draw_keypoints(image, pixels, dataset.keypoint_skeleton))
    titles.append('keypoints')
  return side_by_side(panels, titles)
