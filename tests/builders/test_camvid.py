import io
import tempfile
import zipfile

import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer_datasets.camvid import camvid

IGNORE = 255


class CamvidTest(builder_testing.BuilderTest):
  DATASET_CLASS = camvid.Camvid
  SPLITS = {'train': 2, 'validation': 1, 'test': 2}

  def test_colours_map_to_classes_void_and_stray_colours_to_ignore(self):
    for split in ('train', 'validation', 'test'):
      for ex in self.examples(split):
        seg = ex['segmentation'][..., 0].copy()
        assert ex['has_segmentation'] and ex['image'].shape == (12, 16, 3)
        seg[0][seg[0] == 4] = 21
        np.testing.assert_array_equal(seg[0:3], 21)           # Sky
        np.testing.assert_array_equal(seg[3:6], 4)            # Building
        np.testing.assert_array_equal(seg[6:9], 17)           # Road
        np.testing.assert_array_equal(seg[9], IGNORE)         # Void
        np.testing.assert_array_equal(seg[10], 30)            # Wall
        np.testing.assert_array_equal(seg[11, :-2], 0)        # Animal
        np.testing.assert_array_equal(seg[11, -2:], IGNORE)   # a stray colour

  def test_segnet_split(self):
    marks = {split: sorted(int(np.flatnonzero(ex['segmentation'][0, :, 0] == 4)[0])
                           for ex in self.examples(split))
             for split in ('train', 'validation', 'test')}
    assert marks == {'train': [0, 1], 'validation': [2], 'test': [3, 4]}
    assert camvid.split_of('0016E5_07920') == 'train'
    assert camvid.split_of('0016E5_08159') == 'validation'
    assert camvid.split_of('0016E5_08190') == 'train'
    assert camvid.split_of('0001TP_008520') == 'train'
    assert camvid.split_of('Seq05VD_f05100') == 'test'
    assert camvid.split_of('README') is None

  def test_image_is_the_frame_of_the_label(self):
    (ex,) = self.examples('validation')
    with zipfile.ZipFile(self.dummy_data / '701_StillsRaw_full.zip') as archive:
      png = archive.read('701_StillsRaw_full/0016E5_07959.png')
    np.testing.assert_array_equal(ex['image'], np.asarray(Image.open(io.BytesIO(png))))

  def test_31_classes_in_label_colors_order(self):
    from transfer_datasets import camvid as package  # pylint: disable=g-import-not-at-top
    assert len(package.CLASS_NAMES) == 31 == len(camvid.COLORS)
    assert sorted(camvid.COLORS.values()) == list(range(31))
    assert (0, 0, 0) not in camvid.COLORS


def test_missing_label_names_the_zip(tmp_path):
  src = CamvidTest.dummy_data
  (tmp_path / '701_StillsRaw_full.zip').write_bytes((src / '701_StillsRaw_full.zip').read_bytes())
  with zipfile.ZipFile(src / 'LabeledApproved_full.zip') as old, \
       zipfile.ZipFile(tmp_path / 'LabeledApproved_full.zip', 'w') as new:
    for info in old.infolist():
      if info.filename != '0006R0_f00930_L.png':
        new.writestr(info, old.read(info.filename))
  builder = camvid.Camvid(data_dir=tempfile.mkdtemp())
  with pytest.raises(builders.DatasetFileError,
                     match='LabeledApproved_full.zip: has no member 0006R0_f00930_L.png'):
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir=str(tmp_path)))
