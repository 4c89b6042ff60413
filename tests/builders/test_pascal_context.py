import pathlib
import shutil
import tempfile

import numpy as np
import pytest
from scipy import io as scipy_io
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer.data import catalog
from transfer_datasets import pascal_context as catalogue_entry
from transfer_datasets.pascal_context import pascal_context

_DUMMY = pathlib.Path(pascal_context.__file__).parent / 'dummy_data'
_NAMES = catalogue_entry.CLASS_NAMES


class PascalContextTest(builder_testing.BuilderTest):
  DATASET_CLASS = pascal_context.PascalContext
  BUILDER_CONFIG_NAMES_TO_TEST = ['standard']
  SPLITS = {'train': 2, 'validation': 1}  # VOC 2010 ImageSets/Main lists

  def test_full_labels_map_to_59_classes_and_the_rest_to_background(self):
    (ex,) = self.examples('validation')
    seg = ex['segmentation'][..., 0]
    assert ex['has_segmentation'] and not ex['has_depth']
    assert ex['image'].shape == (24, 32, 3)
    assert len(_NAMES) == 60 and _NAMES[0] == 'background'
    top = np.ones((12, 31), bool)
    top[0, 2] = False                                         # id 459: background
    np.testing.assert_array_equal(seg[:12, 1:][top], _NAMES.index('sky'))     # 360
    np.testing.assert_array_equal(seg[12:, 1:16], _NAMES.index('table'))      # 397, 'diningtable'
    np.testing.assert_array_equal(seg[12:, 24:], _NAMES.index('cloth'))       # 80, 'clothes'
    np.testing.assert_array_equal(seg[12:, 16:24], 0)  # 3 air conditioner: not among the 59
    np.testing.assert_array_equal(seg[:, 0], 0)        # LabelMap 0, unlabelled
    assert seg[0, 3] == 0                              # 459, the last full id
    assert (_NAMES.index('sky'), _NAMES.index('table'), _NAMES.index('cloth')) == (47, 50, 18)
    assert not (seg == 255).any()

  def test_class_table_follows_the_names(self):
    builder = pascal_context.PascalContext(data_dir=tempfile.mkdtemp())
    table = builder.class_table(_DUMMY / 'labels.txt', _DUMMY / '59_labels.txt')
    assert len(table) == 460
    mapped = {int(i): _NAMES[c] for i, c in enumerate(table) if c}
    assert len(mapped) == 59 and set(mapped.values()) == set(_NAMES[1:])
    assert mapped[2] == 'aeroplane' and mapped[19] == 'bedclothes' and mapped[458] == 'wood'


class PascalContextFoiTest(builder_testing.BuilderTest):
  """The paper's definition: background (rare classes, unlabelled) ignored,
  the 59 classes one lower in the same order."""
  DATASET_CLASS = pascal_context.PascalContext
  BUILDER_CONFIG_NAMES_TO_TEST = ['foi']
  SPLITS = {'train': 2, 'validation': 1}

  def test_background_is_ignored_and_classes_shift(self):
    (ex,) = self.examples('validation', 'foi')
    seg = ex['segmentation'][..., 0]
    names = catalog.get('pascal_context_foi').class_names
    assert len(names) == 59 and names == _NAMES[1:]
    assert (names.index('sky'), names.index('table'), names.index('cloth')) == (46, 49, 17)
    top = np.ones((12, 31), bool)
    top[0, 2] = False
    np.testing.assert_array_equal(seg[:12, 1:][top], 46)     # sky (360)
    np.testing.assert_array_equal(seg[12:, 1:16], 49)        # table (397)
    np.testing.assert_array_equal(seg[12:, 24:], 17)         # cloth (80)
    np.testing.assert_array_equal(seg[12:, 16:24], 255)      # air conditioner: background
    np.testing.assert_array_equal(seg[:, 0], 255)            # unlabelled
    assert seg[0, 3] == 255                                  # 459: background
    assert set(np.unique(seg)) == {17, 46, 49, 255}


def _build(manual_dir):
  builder = pascal_context.PascalContext(data_dir=tempfile.mkdtemp())
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))


def _unknown_value(path):
  scipy_io.savemat(path, {'LabelMap': np.full((24, 32), 460, np.uint16)})


def _no_label_map(path):
  scipy_io.savemat(path, {'labels': np.zeros((24, 32), np.uint16)})


def _not_a_mat(path):
  path.write_bytes(b'not a MATLAB file')


@pytest.mark.parametrize('relative, corrupt, problem', [
    ('trainval/2008_000007.mat', _unknown_value, 'values \\[460\\]'),
    ('trainval/2008_000007.mat', _no_label_map, 'no variable LabelMap'),
    ('trainval/2008_000007.mat', _not_a_mat, 'is not a MATLAB v5 file'),
    ('59_labels.txt', lambda p: p.write_text('1: aeroplane\n2: unicorn\n'), 'unicorn'),
])
def test_malformed_file_names_the_file(tmp_path, relative, corrupt, problem):
  shutil.copytree(_DUMMY, tmp_path / 'manual')
  bad = tmp_path / 'manual' / relative
  corrupt(bad)
  with pytest.raises(builders.DatasetFileError, match=problem) as error:
    _build(tmp_path / 'manual')
  assert error.value.where == str(bad)
