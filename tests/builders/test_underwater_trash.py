import shutil

import numpy as np
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer_datasets.underwater_trash import underwater_trash

DATASET = ('trash_ICRA19', 'dataset')


def _by_labels(examples):
  return {tuple(ex['objects']['label'].tolist()): ex for ex in examples}


class UnderwaterTrashTest(builder_testing.BuilderTest):
  DATASET_CLASS = underwater_trash.UnderwaterTrash
  BUILDER_CONFIG_NAMES_TO_TEST = ['standard']
  SPLITS = {'train': 2, 'validation': 1, 'test': 1}

  def test_labels_mapped_and_other_labels_dropped(self):
    train = _by_labels(self.examples('train'))
    # plastic, bio, (timestamp dropped), platstic -> plastic; rov, metal.
    assert set(train) == {(0, 1, 0), (2, 3)}
    for ex in train.values():
      assert ex['has_boxes'] and not ex['has_segmentation'] and not ex['has_keypoints']
      assert not ex['objects']['is_crowd'].any()

  def test_boxes_normalised_from_corner_pixels(self):
    train = _by_labels(self.examples('train'))
    # 48x36 frame; (ymin, xmin, ymax, xmax) = (y0/H, x0/W, y1/H, x1/W).
    np.testing.assert_allclose(train[(0, 1, 0)]['objects']['bbox'], [
        [6 / 36, 4 / 48, 30 / 36, 20 / 48],
        [2 / 36, 30 / 48, 12 / 36, 47 / 48],
        [20 / 36, 22 / 48, 34 / 36, 28 / 48]], atol=1e-6)
    np.testing.assert_allclose(train[(2, 3)]['objects']['bbox'], [
        [1 / 36, 1 / 48, 1, 1], [12 / 36, 10 / 48, 13 / 36, 11 / 48]], atol=1e-6)
    (val,) = self.examples('validation')  # a 48x27 frame
    assert val['image'].shape == (27, 48, 3)
    np.testing.assert_array_equal(val['objects']['label'], [1])
    np.testing.assert_allclose(val['objects']['bbox'], [[3 / 27, 8 / 48, 24 / 27, 40 / 48]],
                               atol=1e-6)

  def test_frame_without_objects(self):
    (ex,) = self.examples('test')
    assert ex['has_boxes'] and ex['objects']['bbox'].shape == (0, 4)


class UnderwaterTrashFoiTest(builder_testing.BuilderTest):
  """The paper's definition: metal 0, rov 1, bio 2, plastic 3, rare labels'
  boxes kept with the ignore label 255 (its class 0 'background')."""
  DATASET_CLASS = underwater_trash.UnderwaterTrash
  BUILDER_CONFIG_NAMES_TO_TEST = ['foi']
  SPLITS = {'train': 2, 'validation': 1, 'test': 1}

  def test_paper_order_and_rare_labels_kept_as_background(self):
    train = _by_labels(self.examples('train', 'foi'))
    # plastic, bio, timestamp -> background, platstic -> plastic; rov, metal.
    assert set(train) == {(3, 2, 255, 3), (1, 0)}
    for ex in train.values():
      assert ex['has_boxes'] and not ex['objects']['is_crowd'].any()
    np.testing.assert_allclose(train[(3, 2, 255, 3)]['objects']['bbox'], [
        [6 / 36, 4 / 48, 30 / 36, 20 / 48],
        [2 / 36, 30 / 48, 12 / 36, 47 / 48],
        [30 / 36, 0, 1, 16 / 48],  # the timestamp box
        [20 / 36, 22 / 48, 34 / 36, 28 / 48]], atol=1e-6)
    (val,) = self.examples('validation', 'foi')
    np.testing.assert_array_equal(val['objects']['label'], [2])  # bio
    (test,) = self.examples('test', 'foi')
    assert test['objects']['bbox'].shape == (0, 4)


@pytest.mark.parametrize('config, labels', [
    ('standard', [3, 0, 2, 1]),                         # plastic, bio, rov, metal; rare dropped
    ('foi', [255, 0, 255, 3, 255, 1, 255, 2, 255, 255]),  # metal, rov, bio, plastic; rare 255
])
def test_every_label_under_both_definitions(tmp_path, config, labels):
  names = ['wood', 'metal', 'papper', 'platstic', 'cloth', 'rov', 'unknown', 'bio',
           'rubber', 'fishing']
  objects = ''.join(f'<object><name>{name}</name><bndbox><xmin>{i}</xmin><ymin>1</ymin>'
                    f'<xmax>{i + 2}</xmax><ymax>5</ymax></bndbox></object>'
                    for i, name in enumerate(names))
  path = tmp_path / 'frame.xml'
  path.write_text(f'<annotation>{objects}</annotation>')
  builder = underwater_trash.UnderwaterTrash(config=config, data_dir=str(tmp_path / 'data'))
  boxes, got = builder.read_xml(path, (27, 48))
  assert got == labels
  kept = [i for i, name in enumerate(names)
          if config == 'foi' or name in ('metal', 'platstic', 'rov', 'bio')]
  np.testing.assert_array_equal(boxes, [[i, 1, i + 2, 5] for i in kept])


def _copy(tmp_path):
  manual = tmp_path / 'manual'
  shutil.copytree(UnderwaterTrashTest.dummy_data, manual)
  return manual, manual.joinpath(*DATASET)


def _build(manual, tmp_path):
  builder = underwater_trash.UnderwaterTrash(data_dir=str(tmp_path / 'data'))
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual)))


def test_malformed_xml_names_the_file(tmp_path):
  manual, dataset = _copy(tmp_path)
  (dataset / 'val' / 'obj1657_frame0000080.xml').write_text('<annotation><object>')
  with pytest.raises(builders.DatasetFileError, match='obj1657_frame0000080.xml: is not valid XML'):
    _build(manual, tmp_path)


@pytest.mark.parametrize('content, problem', [
    ('<annotation><size><width>48</width><height>30</height></size></annotation>',
     '<size> is 48x30'),
    ('<annotation><object><name>boot</name></object></annotation>', "unknown object label 'boot'"),
    ('<annotation><object><name>bio</name></object></annotation>', 'no valid <bndbox>'),
    ('<annotation><object><name>rov</name><bndbox><xmin>9</xmin><ymin>1</ymin>'
     '<xmax>3</xmax><ymax>5</ymax></bndbox></object></annotation>', 'xmax < xmin'),
])
def test_inconsistent_xml_names_the_file(tmp_path, content, problem):
  path = tmp_path / 'obj1657_frame0000080.xml'
  path.write_text(content)
  builder = underwater_trash.UnderwaterTrash(data_dir=str(tmp_path / 'data'))
  with pytest.raises(builders.DatasetFileError, match='obj1657_frame0000080.xml') as e:
    builder.read_xml(path, (27, 48))
  assert problem in str(e.value)


def test_missing_xml_names_the_file(tmp_path):
  manual, dataset = _copy(tmp_path)
  (dataset / 'test' / 'obj1505_frame0000161.xml').unlink()
  with pytest.raises(builders.DatasetFileError, match='obj1505_frame0000161.xml: not found'):
    _build(manual, tmp_path)


def test_reads_the_unzipped_folder_directly(tmp_path):
  manual = tmp_path / 'manual'
  shutil.copytree(UnderwaterTrashTest.dummy_data.joinpath(DATASET[0]), manual)
  _build(manual, tmp_path)
