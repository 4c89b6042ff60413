import io
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
from transfer_datasets.kitti_segmentation import CLASS_NAMES
from transfer_datasets.kitti_segmentation import kitti_segmentation
from transfer_datasets.kitti_segmentation import make_dummy_data as dummy


class KittiSegmentationTest(builder_testing.BuilderTest):
  DATASET_CLASS = kitti_segmentation.KittiSegmentation
  BUILDER_CONFIG_NAMES_TO_TEST = ['train_ids']
  SPLITS = {'train': 2, 'validation': 2}

  def frames(self, split: str) -> list[tuple[int, dict]]:
    """(dummy frame, example) of a split."""
    return [(cityscapes_labels.closest_frame(ex['segmentation'][..., 0], dummy.label_ids,
                                             range(4)), ex) for ex in self.examples(split)]

  def test_split_follows_the_mseg_list(self):
    assert {1, 3} <= kitti_segmentation.VALIDATION_FRAMES
    assert not {0, 2} & kitti_segmentation.VALIDATION_FRAMES
    assert len(kitti_segmentation.VALIDATION_FRAMES) == 50
    for split, frames in (('train', [0, 2]), ('validation', [1, 3])):
      assert sorted(frame for frame, _ in self.frames(split)) == frames

  def test_cityscapes_label_ids_map_to_train_ids(self):
    # Every label id 0..33 and some above 33, checked against labels.py.
    for split in self.SPLITS:
      for frame, ex in self.frames(split):
        ids = dummy.label_ids(frame)
        assert set(range(35)) <= set(ids.ravel().tolist())
        assert ex['has_segmentation'] and ex['image'].shape == (12, 40, 3)
        np.testing.assert_array_equal(ex['segmentation'][..., 0], cityscapes_labels.train_ids(ids))

  def test_class_names_are_the_cityscapes_train_ids(self):
    names = cityscapes_labels.TRAIN_ID_NAMES
    assert CLASS_NAMES == tuple(names[train_id] for train_id in range(19))


class KittiSegmentationFoiTest(builder_testing.BuilderTest):
  """The paper's definition (kitti-34): Cityscapes' label ids without unlabeled and out of roi."""
  DATASET_CLASS = kitti_segmentation.KittiSegmentation
  BUILDER_CONFIG_NAMES_TO_TEST = ['foi']
  SPLITS = {'train': 2, 'validation': 2}

  def test_label_ids_map_to_the_papers_classes_on_the_mseg_split(self):
    for split, frames in (('train', [0, 2]), ('validation', [1, 3])):
      found = []
      for ex in self.examples(split, 'foi'):
        seg = ex['segmentation'][..., 0]
        frame = cityscapes_labels.closest_frame(seg, dummy.label_ids, range(4),
                                                cityscapes_labels.foi_ids)
        found.append(frame)
        ids = dummy.label_ids(frame)
        np.testing.assert_array_equal(seg, cityscapes_labels.foi_ids(ids))
        # Column c holds id (c + frame) mod 40: every id 0..39.
        got = {int(ids[0, c]): int(seg[0, c]) for c in range(40)}
        assert {i for i, v in got.items() if v == 255} == {0, 3, *range(34, 40)}
        assert (got[1], got[2], got[4], got[9], got[29], got[33]) == (0, 1, 2, 7, 27, 31)
      assert sorted(found) == frames

  def test_class_names_are_cityscapes_foi(self):
    names = catalog.get('kitti_segmentation_foi').class_names
    assert names == cityscapes_labels.FOI_CLASSES[1:] == catalog.get('cityscapes_foi').class_names


def test_label_of_wrong_size_names_the_member(tmp_path):
  src = KittiSegmentationTest.dummy_data / 'data_semantics.zip'
  member = 'training/semantic/000001_10.png'
  buf = io.BytesIO()
  Image.new('L', (40, 11)).save(buf, format='PNG')
  with zipfile.ZipFile(src) as old, zipfile.ZipFile(tmp_path / 'data_semantics.zip', 'w') as new:
    for info in old.infolist():
      new.writestr(info, buf.getvalue() if info.filename == member else old.read(info.filename))
  builder = kitti_segmentation.KittiSegmentation(data_dir=tempfile.mkdtemp())
  with pytest.raises(builders.DatasetFileError, match=f'data_semantics.zip/{member}: is 11x40'):
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir=str(tmp_path)))
