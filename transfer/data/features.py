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
  has_segmentation, has_depth, has_boxes, has_keypoints, has_instances
                    bool   []         which annotations are present in this
                                      example (absent dense maps are stored
                                      filled with their invalid value).

Absent annotations are stored, not omitted, so every example of every dataset
decodes to the same structure and the pipeline can batch with static shapes.
"""

import numpy as np
import tensorflow_datasets as tfds

# Annotations a task can learn from.
ANNOTATIONS = ('segmentation', 'depth', 'boxes', 'keypoints')
# The presence flags: one per annotation, plus the instance map.
FLAGS = tuple(f'has_{name}' for name in (*ANNOTATIONS, 'instances'))


def example_features(num_keypoints: int) -> tfds.features.FeaturesDict:
  """The TFDS feature spec of the example format (see module docstring)."""
  objects = {
      'bbox': tfds.features.Tensor(shape=(4,), dtype=np.float32),
      'label': tfds.features.Tensor(shape=(), dtype=np.int64),
      'is_crowd': tfds.features.Tensor(shape=(), dtype=np.bool_),
  }
  if num_keypoints:
    objects['keypoints'] = tfds.features.Tensor(shape=(num_keypoints, 3), dtype=np.float32)
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
                      ignore_label: int) -> dict:
  """Placeholders for annotations an example does not have."""
  objects = {
      'bbox': np.zeros((0, 4), np.float32),
      'label': np.zeros((0,), np.int64),
      'is_crowd': np.zeros((0,), np.bool_),
  }
  if num_keypoints:
    objects['keypoints'] = np.zeros((0, num_keypoints, 3), np.float32)
  return {
      'segmentation': np.full((height, width, 1), ignore_label, np.uint16),
      'depth': np.zeros((height, width, 1), np.float32),
      'instances': np.zeros((height, width, 1), np.uint16),
      'objects': objects,
      **{flag: False for flag in FLAGS},
  }
