"""The example format is checked where builders write it, and mock data keeps it."""

import json
import shutil

import numpy as np
import pytest
import tensorflow_datasets as tfds

from conftest import REPO
from transfer.data import builders, catalog, features, fields, mock
from transfer_datasets.coco import coco2017

K = 3


def _example(**objects):
  """A 10x20 example with two objects and K keypoints each, in pixel units."""
  args = dict(boxes=[[2, 1, 12, 9], [0, 0, 20, 10]], labels=[0, 1],
              keypoints=[[[3, 2, 2], [5, 4, 1], [0, 0, 0]], [[1, 1, 2], [19, 9, 2], [7, 7, 0]]])
  args.update(objects)
  return builders.example(np.zeros((10, 20, 3), np.uint8), ignore_label=255,
                          num_keypoints=K, **args)


def test_a_valid_example_passes():
  example = _example()
  assert features.invalid(example) is None
  # (y, x) normalised, pixel centres at +0.5; unlabelled keypoints all zero.
  np.testing.assert_allclose(example['objects']['keypoints'][0],
                             [[2.5 / 10, 3.5 / 20, 2], [4.5 / 10, 5.5 / 20, 1], [0, 0, 0]])


@pytest.mark.parametrize('edit,problem', [
    (lambda o: o['bbox'].__setitem__((1, 0), 0.75),  # ymin > ymax 0.5
     'object 1 has box (ymin, xmin, ymax, xmax) = (0.75, 0.0, 0.5, 1.0): its corners are swapped'),
    (lambda o: o['bbox'].__setitem__((0, 3), 1.2), 'outside [0, 1]'),
    (lambda o: o['bbox'].__setitem__((0, 1), np.nan), 'outside [0, 1]'),
    (lambda o: o['label'].__setitem__(1, -1), 'object 1 has the negative label -1'),
    (lambda o: o['keypoints'].__setitem__((1, 2, 2), 3), 'object 1 keypoint 2 has visibility 3.0'),
    (lambda o: o['keypoints'].__setitem__((0, 1, 2), 0.4), 'object 0 keypoint 1 has visibility 0.4'),
    (lambda o: o['keypoints'].__setitem__((0, 0, 1), 1.5), 'object 0 keypoint 0 has (y, x)'),
    (lambda o: o['keypoints'].__setitem__((0, 2, 0), 0.5),
     'object 0 keypoint 2 has (y, x) = (0.5, 0.0), not 0 although its visibility is 0'),
])
def test_invalid_names_the_object_and_the_problem(edit, problem):
  example = _example()
  example['objects']['bbox'][1] = [0.0, 0.0, 0.5, 1.0]
  edit(example['objects'])
  assert problem in features.invalid(example)


def test_reference_boxes_are_stored_normalised_and_their_sizes_read_in_pixels():
  example = _example(reference_boxes=[[2, 1, 6, 4], [0, 0, 0, 0]], reference_box=True)
  assert features.invalid(example) is None
  # (ymin, xmin, ymax, xmax) of a 10x20 image; zero for an object without one.
  np.testing.assert_allclose(example['objects']['reference_box'],
                             [[0.1, 0.1, 0.4, 0.3], [0, 0, 0, 0]])
  sizes = fields.FIELDS['reference_sizes'].read_from(example, 4)
  np.testing.assert_allclose(sizes, [5.0, 0, 0, 0], rtol=1e-6)  # a 4 x 3 px box: diagonal 5
  np.testing.assert_array_equal(fields.FIELDS['reference_sizes'].read_from(_example(), 2), 0)
  example['objects']['reference_box'][1] = [0.5, 0.25, 0.375, 0.5]
  assert features.invalid(example) == (
      'object 1 has reference box (ymin, xmin, ymax, xmax) = (0.5, 0.25, 0.375, 0.5): '
      'its corners are swapped')
  with pytest.raises(ValueError, match='stores none'):
    _example(reference_boxes=[[2, 1, 6, 4], [0, 0, 0, 0]])
  assert 'reference_box' in features.example_features(K, True)['objects'].feature
  assert 'reference_box' not in features.example_features(K)['objects'].feature


def test_swapped_corners_are_named():
  example = _example(boxes=[[2, 1, 12, 9], [15, 0, 5, 10]])  # x1 < x0
  assert features.invalid(example) == (
      'object 1 has box (ymin, xmin, ymax, xmax) = (0.0, 0.75, 1.0, 0.25): '
      'its corners are swapped')


def _coco(tmp_path, edit):
  """COCO keypoints built from its dummy download with one annotation edited."""
  manual = tmp_path / 'manual'
  shutil.copytree(f'{REPO}/datasets/coco/dummy_data', manual)
  path = manual / 'annotations' / 'person_keypoints_val2017.json'
  data = json.loads(path.read_text())
  edit(data['annotations'][0])
  path.write_text(json.dumps(data))
  builder = coco2017.Coco2017(config='keypoints', data_dir=str(tmp_path / 'data'))
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual)))


@pytest.mark.parametrize('edit,problem', [
    (lambda a: a['keypoints'].__setitem__(2, 3), 'object 0 keypoint 0 has visibility 3.0'),
    (lambda a: a['bbox'].__setitem__(2, -10.0), 'its corners are swapped'),
])
def test_a_builder_writing_a_bad_example_stops_naming_dataset_and_example(tmp_path, edit,
                                                                          problem):
  with pytest.raises(features.InvalidExampleError) as error:
    _coco(tmp_path, edit)
  assert error.value.what.startswith(
      "Dataset 'coco2017/keypoints', split 'validation', example '000000000139': ")
  assert problem in error.value.what
  assert error.value.where == 'transfer_datasets.coco.coco2017'


@pytest.mark.parametrize('name', catalog.names())
def test_mock_examples_keep_the_format(name):
  info = catalog.get(name)
  rng = np.random.default_rng(0)
  for _ in range(10):
    ex = mock.example(info, rng)
    # Keypoint sets come with their boxes, as the real builders write them.
    boxes = {'boxes'} if 'keypoints' in info.tasks else set()
    assert {a for a in features.ANNOTATIONS if ex[f'has_{a}']} == set(info.tasks) | boxes
    classes = set(range(info.num_classes)) | {info.ignore_label}
    assert set(np.unique(ex['segmentation']).tolist()) <= classes
    assert ex['depth'].min() >= 0
    objects = ex['objects']
    boxes = objects['bbox']
    assert np.all((boxes >= 0) & (boxes <= 1))
    assert np.all(boxes[:, 2:] >= boxes[:, :2])
    assert set(objects['label'].tolist()) <= set(range(len(info.object_classes)))
    if info.num_keypoints:
      k = objects['keypoints']
      assert set(np.unique(k[..., 2]).tolist()) <= {0, 1, 2}
      assert not k[k[..., 2] == 0].any()
      inside = ((k[..., :2] >= boxes[:, None, :2] - 1e-6)
                & (k[..., :2] <= boxes[:, None, 2:] + 1e-6)).all(-1)
      assert inside[k[..., 2] > 0].all()
    if ex['has_instances']:
      assert set(np.unique(ex['instances']).tolist()) <= set(range(len(boxes) + 1))
