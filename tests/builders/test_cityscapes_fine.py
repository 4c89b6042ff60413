import io
import shutil
import tempfile
import zipfile

import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

import builder_testing
import cityscapes_labels
from transfer.data import builders
from transfer.data import catalog
from transfer_datasets.cityscapes_fine import CLASS_NAMES
from transfer_datasets.cityscapes_fine import cityscapes_fine
from transfer_datasets.cityscapes_fine import make_dummy_data as dummy


class CityscapesFineTest(builder_testing.BuilderTest):
  DATASET_CLASS = cityscapes_fine.CityscapesFine
  BUILDER_CONFIG_NAMES_TO_TEST = ['train_ids']
  SPLITS = {'train': 2, 'validation': 1}  # the test frame is not built

  def frames(self, split: str) -> list[tuple[int, dict]]:
    """(dummy frame index, example) of a split."""
    return [(cityscapes_labels.closest_frame(ex['segmentation'][..., 0], dummy.label_ids,
                                             range(3)), ex) for ex in self.examples(split)]

  def test_splits_hold_their_frames(self):
    for split, indices in (('train', [0, 1]), ('validation', [2])):
      assert sorted(index for index, _ in self.frames(split)) == indices

  def test_label_ids_map_to_train_ids(self):
    # Every label id 0..33 and some above 33, checked against labels.py.
    for split in self.SPLITS:
      for index, ex in self.frames(split):
        ids = dummy.label_ids(index)
        seg = ex['segmentation'][..., 0]
        assert set(range(35)) <= set(ids.ravel().tolist())
        assert ex['has_segmentation'] and not ex['has_depth'] and not ex['has_boxes']
        assert ex['image'].shape == (16, 32, 3) and seg.shape == (16, 32)
        np.testing.assert_array_equal(seg, cityscapes_labels.train_ids(ids))

  def test_class_names_follow_labels_py(self):
    names = cityscapes_labels.TRAIN_ID_NAMES
    assert CLASS_NAMES == tuple(names[train_id] for train_id in range(19))

  def test_image_is_the_left_image_of_the_label(self):
    (ex,) = self.examples('validation')
    with zipfile.ZipFile(self.dummy_data / 'leftImg8bit_trainvaltest.zip') as archive:
      png = archive.read('leftImg8bit/val/frankfurt/frankfurt_000000_000294_leftImg8bit.png')
    np.testing.assert_array_equal(ex['image'], np.asarray(Image.open(io.BytesIO(png))))


class CityscapesFineFoiTest(builder_testing.BuilderTest):
  """The paper's definition: the 34 label ids without unlabeled and out of roi."""
  DATASET_CLASS = cityscapes_fine.CityscapesFine
  BUILDER_CONFIG_NAMES_TO_TEST = ['foi']
  SPLITS = {'train': 2, 'validation': 1}

  def frames(self, split: str) -> list[tuple[int, dict]]:
    return [(cityscapes_labels.closest_frame(ex['segmentation'][..., 0], dummy.label_ids,
                                             range(3), cityscapes_labels.foi_ids), ex)
            for ex in self.examples(split, 'foi')]

  def test_label_ids_map_to_the_papers_classes(self):
    for split, indices in (('train', [0, 1]), ('validation', [2])):
      frames = self.frames(split)
      assert sorted(index for index, _ in frames) == indices
      for index, ex in frames:
        ids = dummy.label_ids(index)
        seg = ex['segmentation'][..., 0]
        np.testing.assert_array_equal(seg, cityscapes_labels.foi_ids(ids))
        # Every id 0..39 is in the frame: each maps as the paper's list says.
        got = {int(i): set(seg[ids == i].tolist()) for i in np.unique(ids)}
        assert set(got) == set(range(40))
        assert {i for i, classes in got.items() if classes == {255}} == {0, 3, *range(34, 40)}
        assert got[1] == {0} and got[2] == {1} and got[4] == {2} and got[7] == {5}
        assert got[9] == {7} and got[29] == {27} and got[33] == {31}

  def test_class_names_follow_the_papers_list(self):
    names = catalog.get('cityscapes_foi').class_names
    assert names == cityscapes_labels.FOI_CLASSES[1:] and len(names) == 32


def _rewrite_member(src, dst, name, data):
  with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, 'w') as new:
    for info in old.infolist():
      new.writestr(info, data if info.filename == name else old.read(info.filename))


def _build(manual_dir):
  builder = cityscapes_fine.CityscapesFine(data_dir=tempfile.mkdtemp())
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))


def test_rgb_label_png_names_the_member(tmp_path):
  src = CityscapesFineTest.dummy_data
  shutil.copy(src / 'leftImg8bit_trainvaltest.zip', tmp_path)
  member = 'gtFine/val/frankfurt/frankfurt_000000_000294_gtFine_labelIds.png'
  buf = io.BytesIO()
  Image.new('RGB', (32, 16)).save(buf, format='PNG')
  _rewrite_member(src / 'gtFine_trainvaltest.zip', tmp_path / 'gtFine_trainvaltest.zip',
                  member, buf.getvalue())
  with pytest.raises(builders.DatasetFileError, match=f'gtFine_trainvaltest.zip/{member}'):
    _build(tmp_path)


def test_missing_zip_is_named(tmp_path):
  shutil.copy(CityscapesFineTest.dummy_data / 'leftImg8bit_trainvaltest.zip', tmp_path)
  with pytest.raises(builders.DatasetFileError, match='gtFine_trainvaltest.zip: not found'):
    _build(tmp_path)


def test_corrupt_zip_is_named(tmp_path):
  shutil.copy(CityscapesFineTest.dummy_data / 'leftImg8bit_trainvaltest.zip', tmp_path)
  (tmp_path / 'gtFine_trainvaltest.zip').write_bytes(b'PK\x03\x04 truncated')
  with pytest.raises(builders.DatasetFileError, match='gtFine_trainvaltest.zip: is not a readable zip'):
    _build(tmp_path)
