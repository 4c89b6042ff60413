"""The single example format every dataset yields.

Every builder in `datasets/` (synthetic or real) stores examples with these
keys, and the input pipeline relies on nothing else:

  image             uint8  [H, W, 3]  RGB.
  segmentation      uint16 [H, W, 1]  class ids; the dataset's ignore label
                                      (catalogue field `ignore_label`) marks
                                      void pixels. All-ignore when absent.
  depth             float32 [H, W, 1] metric z-depth in metres, 0 = invalid.
                                      All-zero when absent.
  instances         uint16 [H, W, 1]  i + 1 on the visible pixels of
                                      objects[i], 0 elsewhere (no object or
                                      not annotated). All-zero when absent.
  objects/bbox      float32 [N, 4]    (ymin, xmin, ymax, xmax), normalised to
                                      [0, 1] by image height / width; ymax is
                                      (last row + 1) / H, so a box covering
                                      rows r0..r1 is [r0/H, .., (r1+1)/H, ..].
  objects/label     int64  [N]        object class ids (same id space as
                                      segmentation for the synthetic data).
  objects/keypoints float32 [N, K, 3] (y, x, visibility) per keypoint, y and x
                                      normalised like boxes (pixel centre of
                                      row r is (r + 0.5) / H); visibility
                                      follows COCO: 0 = not labelled (or
                                      outside the image, coordinates 0),
                                      1 = labelled but occluded, 2 = visible.
                                      K is fixed per dataset; datasets
                                      without keypoints (K = 0) omit the
                                      key (TF cannot parse a [N, 0, 3]
                                      sequence feature).
  objects/is_crowd  bool   [N]        COCO-style crowd regions.
  objects/reference_box                a per-object reference box, laid out and
                    float32 [N, 4]    normalised like bbox, all zero where an
                                      object has none. Only in datasets whose
                                      catalogue entry names one
                                      (`reference_box`: MPII's head boxes, the
                                      scale of PCKh).
  has_segmentation, has_depth, has_boxes, has_keypoints, has_instances
                    bool   []         which annotations are present in this
                                      example (absent dense maps are stored
                                      filled with their invalid value).

Absent annotations are stored, not omitted, so every example of every dataset
decodes to the same structure and the pipeline can batch with static shapes.
"""

import functools
import inspect

from etils import epath
import numpy as np
import tensorflow_datasets as tfds

from transfer.errors import UserError

# Annotations a task can learn from.
ANNOTATIONS = ('segmentation', 'depth', 'boxes', 'keypoints')
# The presence flags: one per annotation, plus the instance map.
FLAGS = tuple(f'has_{name}' for name in (*ANNOTATIONS, 'instances'))


def example_features(num_keypoints: int,
                     reference_box: bool = False) -> tfds.features.FeaturesDict:
  """The TFDS feature spec of the example format (see module docstring)."""
  objects = {
      'bbox': tfds.features.Tensor(shape=(4,), dtype=np.float32),
      'label': tfds.features.Tensor(shape=(), dtype=np.int64),
      'is_crowd': tfds.features.Tensor(shape=(), dtype=np.bool_),
  }
  if num_keypoints:
    objects['keypoints'] = tfds.features.Tensor(shape=(num_keypoints, 3), dtype=np.float32)
  if reference_box:
    objects['reference_box'] = tfds.features.Tensor(shape=(4,), dtype=np.float32)
  return tfds.features.FeaturesDict({
      'image': tfds.features.Image(shape=(None, None, 3), dtype=np.uint8),
      'segmentation': tfds.features.Image(
          shape=(None, None, 1), dtype=np.uint16, encoding_format='png'),
      'depth': tfds.features.Tensor(
          shape=(None, None, 1), dtype=np.float32,
          encoding=tfds.features.Encoding.ZLIB),
      'instances': tfds.features.Image(
          shape=(None, None, 1), dtype=np.uint16, encoding_format='png'),
      'objects': tfds.features.Sequence(objects),
      **{flag: tfds.features.Tensor(shape=(), dtype=np.bool_)
         for flag in FLAGS},
  })


def empty_annotations(height: int, width: int, num_keypoints: int,
                      ignore_label: int, reference_box: bool = False) -> dict:
  """Placeholders for annotations an example does not have."""
  objects = {
      'bbox': np.zeros((0, 4), np.float32),
      'label': np.zeros((0,), np.int64),
      'is_crowd': np.zeros((0,), np.bool_),
  }
  if num_keypoints:
    objects['keypoints'] = np.zeros((0, num_keypoints, 3), np.float32)
  if reference_box:
    objects['reference_box'] = np.zeros((0, 4), np.float32)
  return {
      'segmentation': np.full((height, width, 1), ignore_label, np.uint16),
      'depth': np.zeros((height, width, 1), np.float32),
      'instances': np.zeros((height, width, 1), np.uint16),
      'objects': objects,
      **{flag: False for flag in FLAGS},
  }


# The dense maps: the dtype kind each must have; all are [H, W, 1] like the image.
_DENSE_KINDS = {'segmentation': np.integer, 'instances': np.integer, 'depth': np.floating}


def invalid(example: dict, num_classes: int | None = None,
            ignore_label: int | None = None) -> str | None:
  """What breaks the format in one example as a builder yields it, or None.

  Checked: the image (uint8 [H, W, 3]) and the dense maps (integer
  segmentation and instances, floating depth, each [H, W, 1]); segmentation
  class ids (in [0, num_classes) or the ignore label, when `num_classes` is
  given); depth (finite, not negative); boxes (finite, in [0, 1], ymin <= ymax
  and xmin <= xmax; reference boxes too), object labels (not negative) and keypoints (visibility
  0, 1 or 2; coordinates in [0, 1], and 0 where the visibility is 0).
  Nothing downstream repairs these.
  """
  problem = _dense_problem(example, num_classes, ignore_label)
  if problem:
    return problem
  objects = example.get('objects', {})
  for key, what in (('bbox', 'box'), ('reference_box', 'reference box')):
    if (problem := _box_problem(objects.get(key, np.zeros((0, 4))), what)):
      return problem
  labels = np.asarray(objects.get('label', ()))
  if (n := _first(labels < 0)) is not None:
    return f'object {n} has the negative label {labels[n]}'
  if 'keypoints' in objects:
    keypoints = np.asarray(objects['keypoints'], np.float64)
    yx, visibility = keypoints[..., :2], keypoints[..., 2]
    if (nk := _first(~np.isin(visibility, (0, 1, 2)))) is not None:
      return f'object {nk[0]} keypoint {nk[1]} has visibility {visibility[nk]}, not 0, 1 or 2'
    labelled = visibility > 0
    point = lambda nk: f'object {nk[0]} keypoint {nk[1]} has (y, x) = {tuple(yx[nk].tolist())}'
    if (nk := _first(~np.all(np.isfinite(yx) & (yx >= 0) & (yx <= 1), -1) & labelled)) is not None:
      return f'{point(nk)}, outside [0, 1]'
    if (nk := _first(np.any(yx != 0, -1) & ~labelled)) is not None:
      return f'{point(nk)}, not 0 although its visibility is 0'
  return None


def _box_problem(boxes, what: str) -> str | None:
  boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
  box = lambda n: f'object {n} has {what} (ymin, xmin, ymax, xmax) = {tuple(boxes[n].tolist())}'
  if (n := _first(~np.all(np.isfinite(boxes) & (boxes >= 0) & (boxes <= 1), -1))) is not None:
    return f'{box(n)}, outside [0, 1]'
  if (n := _first((boxes[:, 0] > boxes[:, 2]) | (boxes[:, 1] > boxes[:, 3]))) is not None:
    return f'{box(n)}: its corners are swapped'
  return None


def _dense_problem(example: dict, num_classes, ignore_label) -> str | None:
  image = np.asarray(example['image'])
  if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] != 3:
    return f'the image is {image.dtype} of shape {image.shape}, not uint8 [H, W, 3]'
  height, width = image.shape[:2]
  for key in _DENSE_KINDS.keys() & example.keys():
    value, kind = np.asarray(example[key]), _DENSE_KINDS[key]
    if not np.issubdtype(value.dtype, kind) or value.shape != (height, width, 1):
      return (f'{key} is {value.dtype} of shape {value.shape}, not {kind.__name__} '
              f'[{height}, {width}, 1] (its image is {height}x{width})')
  if num_classes is not None and 'segmentation' in example:
    labels = np.asarray(example['segmentation'])[..., 0]
    outside = ((labels < 0) | (labels >= num_classes)) & (labels != ignore_label)
    if (yx := _first(outside)) is not None:
      return (f'segmentation pixel (row, column) = {yx} has class id {labels[yx]}, outside '
              f'[0, {num_classes}) and not the ignore label {ignore_label}')
  if 'depth' in example:
    depth = np.asarray(example['depth'])[..., 0]
    if (yx := _first(~np.isfinite(depth) | (depth < 0))) is not None:
      return (f'depth pixel (row, column) = {yx} is {depth[yx]}: depth is finite metres, '
              '0 where invalid')
  return None


def _first(mask: np.ndarray):
  """The index of `mask`'s first True entry (an int for 1-D, else a tuple), or None."""
  found = np.argwhere(mask)
  if not len(found):
    return None
  index = tuple(int(i) for i in found[0])
  return index[0] if mask.ndim == 1 else index


def tfds_name(builder) -> str:
  """A builder's registered name with its config: what `DatasetInfo.tfds_name` holds."""
  if builder.builder_config is None:
    return builder.name
  return f'{builder.name}/{builder.builder_config.name}'


class InvalidExampleError(UserError):
  """A builder yielded an example outside the format."""

  def __init__(self, dataset: str, split: str, key, problem: str, builder: str):
    super().__init__(
        f'Dataset {dataset!r}, split {split!r}, example {key!r}: {problem}.',
        where=builder,
        fix='the builder must convert its source annotations into the example format '
        '(transfer/data/features.py) or reject the source file that holds them; '
        'fix it and build the dataset again.')


class ExampleBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
  """The base of every builder of this format: each example a split generator
  yields is checked (`invalid`), so a bad one stops the build with an
  `InvalidExampleError` that names the dataset, split and example key."""

  def __init_subclass__(cls, **kwargs):
    # TFDS finds a builder's files through importlib.resources, which fails
    # on the namespace package `transfer_datasets` of an editable install.
    cls.code_path = epath.Path(inspect.getfile(cls))
    cls.pkg_dir_path = cls.code_path.parent
    if '_split_generators' in cls.__dict__:
      cls._split_generators = _checked_splits(cls.__dict__['_split_generators'])
    super().__init_subclass__(**kwargs)


def _checked_splits(split_generators):
  @functools.wraps(split_generators)
  def wrapper(self, *args, **kwargs):
    return {split: _checked_examples(self, split, generator)
            for split, generator in split_generators(self, *args, **kwargs).items()}
  return wrapper


def _checked_examples(builder, split, generator):
  metadata = builder.info.metadata or {}
  classes = metadata.get('class_names')
  num_classes = None if classes is None else len(classes)
  count = 0
  for key, example in generator:
    problem = invalid(example, num_classes, metadata.get('ignore_label'))
    if problem:
      raise InvalidExampleError(tfds_name(builder), split, key, problem,
                                type(builder).__module__)
    count += 1
    yield key, example
  if not count:  # TFDS would stop with a bare AssertionError.
    raise UserError(
        f'Dataset {tfds_name(builder)!r}: split {split!r} has no examples.',
        where=type(builder).__module__,
        fix='check that the download holds this split\'s files where these manual download '
        'steps say, then build the dataset again:\n'
        + inspect.cleandoc(getattr(builder, 'MANUAL_DOWNLOAD_INSTRUCTIONS', '') or '(none given)'))
