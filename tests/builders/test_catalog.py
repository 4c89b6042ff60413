"""The catalogue: every dataset of the paper (and NYU) is registered with
consistent facts, its builder loads and names missing files with the
download steps, and the two CLIs (`catalog`, `build`) work."""

import tempfile

import numpy as np
import pytest
import tensorflow_datasets as tfds

from transfer.data import build
from transfer.data import builders
from transfer.data import catalog
from transfer.data import features
from transfer.data import pipeline

PAPER_DATASETS = (
    'ade20k', 'coco_panoptic', 'coco_detection', 'coco_keypoints', 'pascal_context',
    'pascal_voc', 'mpii', 'bdd100k_segmentation', 'bdd100k_detection', 'cityscapes', 'idd',
    'kitti_segmentation', 'mapillary_vistas', 'camvid', 'isaid', 'isprs_potsdam',
    'isprs_vaihingen', 'suim', 'underwater_trash', 'scannet', 'sun_rgbd', 'virtual_kitti_2',
    'vgallery', 'stanford_extra', 'nyu_depth_v2')
# The paper's own definitions (its builders in factors_of_influence/fids),
# each beside the community's definition it differs from (ISPRS: both cities'
# entries).
PAPER_DEFINITIONS = {
    'cityscapes_foi': 'cityscapes', 'kitti_segmentation_foi': 'kitti_segmentation',
    'idd_foi': 'idd', 'isprs_foi': 'isprs_potsdam', 'pascal_voc_foi': 'pascal_voc',
    'pascal_context_foi': 'pascal_context', 'isaid_foi': 'isaid', 'suim_foi': 'suim',
    'stanford_extra_foi': 'stanford_extra', 'sun_rgbd_foi': 'sun_rgbd',
    'virtual_kitti_2_foi': 'virtual_kitti_2', 'vgallery_foi': 'vgallery',
    'bdd100k_detection_foi': 'bdd100k_detection', 'coco_detection_foi': 'coco_detection',
    'underwater_trash_foi': 'underwater_trash'}
DOMAINS = ('consumer', 'driving', 'aerial', 'underwater', 'indoor', 'synthetic', 'close-ups')
MANUAL = [name for name in catalog.names() if not catalog.get(name).generated]


def test_every_paper_dataset_is_registered():
  assert set(PAPER_DATASETS) <= set(catalog.names())


@pytest.mark.parametrize('name,ours', PAPER_DEFINITIONS.items())
def test_paper_definitions_sit_beside_ours(name, ours):
  paper, community = catalog.get(name), catalog.get(ours)
  assert (paper.domain, paper.tasks) == (community.domain, community.tasks)
  # One builder, two configs: the module docstring says which follows what.
  assert paper.builder_module == community.builder_module
  assert paper.tfds_name.split('/')[0] == community.tfds_name.split('/')[0]
  assert paper.tfds_name != community.tfds_name
  module = catalog.import_builder(paper)
  assert 'factors_of_influence' in module.__doc__
  assert "paper" in paper.description


@pytest.mark.parametrize('name', catalog.names())
def test_entry_is_consistent(name):
  info = catalog.get(name)
  assert info.domain in DOMAINS or info.domain.startswith('synthetic-')
  assert info.tasks and set(info.tasks) <= set(features.ANNOTATIONS)
  if 'segmentation' in info.tasks:
    assert info.num_classes > 1 and len(set(info.class_names)) == info.num_classes
    assert info.ignore_label >= info.num_classes
  if {'boxes', 'keypoints'} & set(info.tasks):
    assert info.object_classes
  if 'keypoints' in info.tasks:
    k = info.num_keypoints
    assert sorted(info.keypoint_flip_map) == list(range(k))
    assert len(info.oks_sigmas) == k and all(s > 0 for s in info.oks_sigmas)
    assert all(0 <= a < k and 0 <= b < k for a, b in info.keypoint_skeleton)
  else:
    assert info.num_keypoints == 0
  assert all(side > 0 for side in info.crop_size) and info.description


@pytest.mark.parametrize('name', catalog.names())
def test_builder_is_registered_with_the_catalogue_facts(name):
  info = catalog.get(name)
  catalog.import_builder(info)
  builder = tfds.builder(info.tfds_name, data_dir=tempfile.mkdtemp())
  assert builder.info.features['objects'].feature.keys() >= {'bbox', 'label', 'is_crowd'}
  assert ('keypoints' in builder.info.features['objects'].feature) == bool(info.num_keypoints)
  if not info.generated:
    assert isinstance(builder, builders.ManualBuilder)
    assert builder.dataset_info == info
    assert 'python -m transfer.data.build' in builder.MANUAL_DOWNLOAD_INSTRUCTIONS


@pytest.mark.parametrize('name', MANUAL)
def test_missing_download_names_the_file_and_the_steps(name, tmp_path):
  info = catalog.get(name)
  catalog.import_builder(info)
  builder = tfds.builder(info.tfds_name, data_dir=str(tmp_path / 'data'))
  first_step = builder.MANUAL_DOWNLOAD_INSTRUCTIONS.strip().splitlines()[0].strip()
  manual_dir = tmp_path / 'manual'
  manual_dir.mkdir()
  for contents in ('empty', 'unrelated file'):
    if contents != 'empty':
      (manual_dir / 'notes.txt').write_text(contents)
    with pytest.raises(builders.DatasetFileError) as error:
      builder.download_and_prepare(
          download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))
    assert str(manual_dir) in error.value.where and first_step in str(error.value)


def test_build_cli_and_catalogue_table(tmp_path, capsys):
  from transfer_datasets.ade20k import ade20k  # pylint: disable=g-import-not-at-top
  data_dir = str(tmp_path)
  build.main(['ade20k', f'--manual_dir={ade20k.Ade20k.code_path.parent / "dummy_data"}',
              f'--data_dir={data_dir}'])
  rows = {line.split()[0]: line for line in catalog.table(data_dir).splitlines()}
  assert rows['ade20k'].split()[1:4] == ['consumer', 'segmentation', '150']
  assert rows['ade20k'].endswith('train 2, validation 1')
  assert rows['cityscapes'].endswith('no')
  assert set(rows) == {'name', *catalog.names()}
  examples = pipeline.StoredExamples(tfds.builder('ade20k', data_dir=data_dir), 'validation')
  assert np.all(examples[0]['segmentation'][:12] == 0)
