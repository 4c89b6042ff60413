import io
import shutil
import tempfile
import zipfile

import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer_datasets.cityscapes_fine import cityscapes_fine

IGNORE = 255


class CityscapesFineTest(builder_testing.BuilderTest):
  DATASET_CLASS = cityscapes_fine.CityscapesFine
  SPLITS = {'train': 2, 'validation': 1}  # the test frame is not built

  def test_label_ids_map_to_train_ids(self):
    examples = self.examples('train') + self.examples('validation')
    marks = []
    for ex in examples:
      seg = ex['segmentation'][..., 0]
      assert ex['has_segmentation'] and not ex['has_depth'] and not ex['has_boxes']
      assert ex['image'].shape == (16, 32, 3) and seg.shape == (16, 32)
      marks.append(int(np.flatnonzero(seg[0] == 13)[0]))  # car mark in sky row
      seg[0, marks[-1]] = 10
      np.testing.assert_array_equal(seg[0:4], 10)          # sky 23
      np.testing.assert_array_equal(seg[4:8], 13)          # car 26
      np.testing.assert_array_equal(seg[8:12, :16], 0)     # road 7
      np.testing.assert_array_equal(seg[8:12, 16:], 1)     # sidewalk 8
      np.testing.assert_array_equal(seg[12:14], IGNORE)    # parking 9
      np.testing.assert_array_equal(seg[14], 18)           # bicycle 33
      np.testing.assert_array_equal(seg[15], IGNORE)       # unlabeled 0, ego vehicle 1
    assert sorted(marks) == [0, 1, 2]

  def test_image_is_the_left_image_of_the_label(self):
    (ex,) = self.examples('validation')
    with zipfile.ZipFile(self.dummy_data / 'leftImg8bit_trainvaltest.zip') as archive:
      png = archive.read('leftImg8bit/val/frankfurt/frankfurt_000000_000294_leftImg8bit.png')
    np.testing.assert_array_equal(ex['image'], np.asarray(Image.open(io.BytesIO(png))))


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
