import json
import pathlib
import shutil
import tempfile

import numpy as np
from PIL import Image
import pytest
import scipy.io
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer_datasets.mpii import mpii

H, W = 40, 48  # Size of the dummy images.
MAT = pathlib.Path(mpii.MAT_FOLDER) / mpii.MAT_FILE
VALID = pathlib.Path(mpii.VALID_FOLDER) / mpii.VALID_FILE


def head(x1, y1, x2, y2):
  """A .mat head box (1-based pixel corners) as stored: normalised
  (ymin, xmin, ymax, xmax) of corner pixel to corner pixel, 0-based, whose
  diagonal is MPII's head-size norm((x2 - x1, y2 - y1))."""
  return [(y1 - 1) / H, (x1 - 1) / W, (y2 - 1) / H, (x2 - 1) / W]


class MpiiHumanPoseTest(builder_testing.BuilderTest):
  DATASET_CLASS = mpii.MpiiHumanPose
  # The images of valid.json's two persons -> validation; the other two
  # annotated images -> train; the image without joints, the one without
  # people and the test image are skipped.
  SPLITS = {'train': 2, 'validation': 2}

  @classmethod
  def by_name(cls, split):
    """{image name: example}, matched by pixels (stored order is hashed)."""
    out = {}
    for ex in cls.examples(split):
      for path in (cls.dummy_data / 'images').glob('*.jpg'):
        if np.array_equal(np.asarray(Image.open(path).convert('RGB')), ex['image']):
          out[path.stem] = ex
    assert len(out) == len(cls.examples(split))
    return out

  def test_splits_follow_the_validation_list(self):
    # 005808361 holds an unlisted person too: the whole image is validation.
    # 015599452 is from the same video as 015601864 (the split ignores videos).
    assert set(self.by_name('validation')) == {'015601864', '005808361'}
    assert set(self.by_name('train')) == {'015599452', '037454012'}

  def test_head_boxes_of_listed_validation_persons_only(self):
    ex = self.by_name('validation')['005808361']
    objects = ex['objects']
    np.testing.assert_array_equal(objects['is_crowd'], [False, False])
    np.testing.assert_allclose(objects['reference_box'],
                               [head(2, 2, 9, 8), [0, 0, 0, 0]], atol=1e-6)
    assert objects['keypoints'][1, 6, 2] == 1  # The unlisted person stays an object.
    ex = self.by_name('validation')['015601864']  # Person 2: crowd, with a head box.
    np.testing.assert_allclose(ex['objects']['reference_box'],
                               [head(20, 3, 27, 10), [0, 0, 0, 0]], atol=1e-6)

  def test_head_boxes_of_train_persons(self):
    train = self.by_name('train')
    np.testing.assert_allclose(train['015599452']['objects']['reference_box'],
                               [head(5, 5, 12, 12)], atol=1e-6)
    np.testing.assert_allclose(train['037454012']['objects']['reference_box'],
                               [head(10, 10, 16, 16)], atol=1e-6)

  def test_keypoints_are_zero_based_with_coco_visibility(self):
    ex = self.by_name('validation')['015601864']
    assert ex['has_keypoints'] and ex['has_boxes'] and not ex['has_instances']
    kp = ex['objects']['keypoints'][0]
    def at(x, y, v):  # MATLAB 1-based (x, y) -> normalised (y, x, v).
      return [(y - 1 + 0.5) / H, (x - 1 + 0.5) / W, v]
    np.testing.assert_allclose(kp[9], at(24, 4, 2), atol=1e-6)    # is_visible 1
    np.testing.assert_allclose(kp[8], at(24, 11, 2), atol=1e-6)   # '1'
    np.testing.assert_allclose(kp[12], at(20, 14, 1), atol=1e-6)  # '0'
    np.testing.assert_allclose(kp[13], at(29, 14, 1), atol=1e-6)  # 0
    np.testing.assert_allclose(kp[0], at(21, 36, 1), atol=1e-6)   # empty
    unlabelled = [k for k in range(16) if k not in (0, 8, 9, 12, 13)]
    np.testing.assert_array_equal(kp[unlabelled], 0)

  def test_missing_is_visible_field_means_labelled(self):
    kp = self.by_name('train')['037454012']['objects']['keypoints'][0]
    np.testing.assert_array_equal(kp[[9, 15], 2], [1, 1])

  def test_joint_outside_the_image_is_unlabelled(self):
    ex = self.by_name('validation')['005808361']
    kp = ex['objects']['keypoints']
    np.testing.assert_array_equal(kp[0, 10], [0, 0, 0])  # x = 0 in MATLAB
    assert kp[0, 9, 2] == 2 and kp[0, 5, 2] == 2
    assert kp[1, 6, 2] == 1
    # Box of the first person: joints and head box, clipped at x = 0.
    np.testing.assert_allclose(ex['objects']['bbox'][0],
                               [1 / H, 0, 38 / H, 9 / W], atol=1e-6)

  def test_boxes_and_crowd_regions(self):
    ex = self.by_name('validation')['015601864']
    objects = ex['objects']
    np.testing.assert_array_equal(objects['label'], [0, 0])
    np.testing.assert_array_equal(objects['is_crowd'], [False, True])
    # Joints span columns 19..28 and rows 3..35 (0-based); the head box
    # (20, 3)-(27, 10) reaches row 2.
    np.testing.assert_allclose(objects['bbox'][0], [2 / H, 19 / W, 36 / H, 29 / W], atol=1e-6)
    # No joints: square of 200 * 0.1 px around objpos (42, 18) -> centre
    # (41.5, 17.5), clipped at the right border.
    np.testing.assert_allclose(objects['bbox'][1], [7.5 / H, 31.5 / W, 27.5 / H, 1], atol=1e-6)
    np.testing.assert_array_equal(objects['keypoints'][1], 0)


def _build(manual_dir):
  builder = mpii.MpiiHumanPose(data_dir=tempfile.mkdtemp())
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))


@pytest.fixture
def manual_dir(tmp_path):
  shutil.copytree(MpiiHumanPoseTest.dummy_data, tmp_path / 'manual')
  return tmp_path / 'manual'


def test_corrupt_mat_file_is_named(manual_dir):
  (manual_dir / MAT).write_bytes(b'not a mat file')
  with pytest.raises(builders.DatasetFileError, match=mpii.MAT_FILE):
    _build(manual_dir)


def test_bad_joint_id_is_named(manual_dir):
  mat = scipy.io.loadmat(manual_dir / MAT)
  point = mat['RELEASE'][0, 0]['annolist'][0, 0]['annorect'][0, 0]['annopoints'][0, 0]['point']
  point[0, 0]['id'] = np.array([[16.]])
  scipy.io.savemat(manual_dir / MAT, {'RELEASE': mat['RELEASE']})
  with pytest.raises(builders.DatasetFileError, match=r'annolist\(1\).*joint id 16'):
    _build(manual_dir)


def test_missing_image_is_named(manual_dir):
  (manual_dir / 'images' / '005808361.jpg').unlink()
  with pytest.raises(builders.DatasetFileError, match='005808361.jpg'):
    _build(manual_dir)


@pytest.mark.parametrize('change, problem', [
    # Person 1's head top 1 px off (6, 3 instead of 5, 3): matches no annorect.
    (lambda e: e['joints'].__setitem__(9, [6., 3.]), r'entry 1 \(005808361.jpg\): no person'),
    (lambda e: e.update(image='070807258.jpg'),  # The test image.
     "entry 1: '070807258.jpg' is not an annotated training image"),
    (lambda e: e.update(joints_vis=[1] * 8), 'entry 1 lacks image, joints or joints_vis'),
], ids=['joint_off', 'test_image', 'short_joints_vis'])
def test_bad_validation_entry_is_named(manual_dir, change, problem):
  entries = json.loads((manual_dir / VALID).read_text())
  change(entries[1])
  (manual_dir / VALID).write_text(json.dumps(entries))
  with pytest.raises(builders.DatasetFileError, match=f'{mpii.VALID_FILE}.*{problem}'):
    _build(manual_dir)


def test_missing_validation_list_is_named(manual_dir):
  (manual_dir / VALID).unlink()
  with pytest.raises(builders.DatasetFileError, match=mpii.VALID_FILE):
    _build(manual_dir)
