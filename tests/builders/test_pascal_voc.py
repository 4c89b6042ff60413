import pathlib
import shutil
import tempfile

import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer.data import catalog
from transfer_datasets.pascal_voc import pascal_voc_segmentation

_VOC = ('VOCdevkit', 'VOC2012')
_DUMMY = pathlib.Path(pascal_voc_segmentation.__file__).parent / 'dummy_data'


class PascalVocSegmentationTest(builder_testing.BuilderTest):
  DATASET_CLASS = pascal_voc_segmentation.PascalVocSegmentation
  BUILDER_CONFIG_NAMES_TO_TEST = ['standard']
  SPLITS = {'train': 2, 'validation': 1}

  def test_dummy_labels_are_palette_pngs_with_colours_unlike_indices(self):
    # Guards the next test: decoding colours instead of indices would fail it.
    label = Image.open(self.dummy_data.joinpath(*_VOC, 'SegmentationClass', '2007_000033.png'))
    assert label.mode == 'P'
    assert label.getpalette()[3:6] == [128, 0, 0]  # index 1 (aeroplane)

  def test_palette_indices_are_class_ids_and_void_is_ignored(self):
    (ex,) = self.examples('validation')
    seg = ex['segmentation'][..., 0]
    assert ex['has_segmentation'] and not ex['has_depth'] and not ex['has_boxes']
    assert ex['image'].shape == (24, 32, 3) and ex['tfds_id']
    np.testing.assert_array_equal(seg[:11], 0)          # background
    np.testing.assert_array_equal(seg[12:, :16], 1)     # aeroplane
    np.testing.assert_array_equal(seg[12:, 17:], 15)    # person
    np.testing.assert_array_equal(seg[11, :17], 255)    # void border
    np.testing.assert_array_equal(seg[11:, 16], 255)
    assert set(np.unique(seg)) == {0, 1, 15, 255}

  def test_train_split_follows_the_official_list(self):
    right = sorted(int(ex['segmentation'][-1, -1, 0]) for ex in self.examples('train'))
    assert right == [14, 16]  # 2007_000032: motorbike, 2007_000039: pottedplant


class PascalVocFoiTest(builder_testing.BuilderTest):
  """The paper's definition: background and void ignored, the 20 classes one lower."""
  DATASET_CLASS = pascal_voc_segmentation.PascalVocSegmentation
  BUILDER_CONFIG_NAMES_TO_TEST = ['foi']
  SPLITS = {'train': 2, 'validation': 1}

  def test_background_and_void_are_ignored_and_classes_shift(self):
    (ex,) = self.examples('validation', 'foi')
    seg = ex['segmentation'][..., 0]
    np.testing.assert_array_equal(seg[:11], 255)        # background (index 0)
    np.testing.assert_array_equal(seg[12:, :16], 0)     # aeroplane (index 1)
    np.testing.assert_array_equal(seg[12:, 17:], 14)    # person (index 15)
    np.testing.assert_array_equal(seg[11, :17], 255)    # void border (index 255)
    np.testing.assert_array_equal(seg[11:, 16], 255)
    assert set(np.unique(seg)) == {0, 14, 255}
    names = catalog.get('pascal_voc_foi').class_names
    assert len(names) == 20 and (names[0], names[14]) == ('aeroplane', 'person')

  def test_train_split_follows_the_official_list(self):
    right = sorted(int(ex['segmentation'][-1, -1, 0]) for ex in self.examples('train', 'foi'))
    assert right == [13, 15]  # motorbike, pottedplant


def _build(manual_dir):
  builder = pascal_voc_segmentation.PascalVocSegmentation(data_dir=tempfile.mkdtemp())
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))


@pytest.mark.parametrize('corrupt, problem', [
    (lambda p: Image.new('RGB', (32, 24)).save(p), 'single-channel'),   # colour PNG
    (lambda p: Image.fromarray(np.full((24, 32), 40, np.uint8)).save(p), 'outside 0..20'),
])
def test_malformed_label_png_names_the_file(tmp_path, corrupt, problem):
  shutil.copytree(_DUMMY, tmp_path / 'manual')
  bad = tmp_path.joinpath('manual', *_VOC, 'SegmentationClass', '2007_000033.png')
  corrupt(bad)
  with pytest.raises(builders.DatasetFileError, match=problem) as error:
    _build(tmp_path / 'manual')
  assert error.value.where == str(bad)


def test_missing_download_names_the_folder(tmp_path):
  (tmp_path / 'VOCdevkit').mkdir()  # extracted elsewhere / another year
  with pytest.raises(builders.DatasetFileError, match='VOC2012: not found'):
    _build(tmp_path)
