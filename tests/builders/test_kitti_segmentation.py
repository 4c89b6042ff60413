import io
import tempfile
import zipfile

import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer_datasets.kitti_segmentation import kitti_segmentation

IGNORE = 255


class KittiSegmentationTest(builder_testing.BuilderTest):
  DATASET_CLASS = kitti_segmentation.KittiSegmentation
  SPLITS = {'train': 2, 'validation': 2}

  def test_split_follows_the_mseg_list(self):
    assert {1, 3} <= kitti_segmentation.VALIDATION_FRAMES
    assert not {0, 2} & kitti_segmentation.VALIDATION_FRAMES
    assert len(kitti_segmentation.VALIDATION_FRAMES) == 50
    for split, frames in (('train', [0, 2]), ('validation', [1, 3])):
      marks = sorted(int(np.flatnonzero(ex['segmentation'][0, :, 0] == 13)[0])
                     for ex in self.examples(split))
      assert marks == frames

  def test_cityscapes_label_ids_map_to_train_ids(self):
    for ex in self.examples('train') + self.examples('validation'):
      seg = ex['segmentation'][..., 0].copy()
      assert ex['has_segmentation'] and ex['image'].shape == (12, 40, 3)
      seg[0][seg[0] == 13] = 10
      np.testing.assert_array_equal(seg[0:3], 10)     # sky 23
      np.testing.assert_array_equal(seg[3:6], 13)     # car 26
      np.testing.assert_array_equal(seg[6:9], 0)      # road 7
      np.testing.assert_array_equal(seg[9:11], 9)     # terrain 22
      np.testing.assert_array_equal(seg[11], IGNORE)  # out of roi 3, unlabeled 0


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
