import json
import shutil
import tempfile

import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

import builder_testing
from transfer.data import builders
from transfer.data import catalog
from transfer_datasets.mapillary_vistas import mapillary_vistas

# key -> (split, shape, value of the middle band's second block), as
# make_dummy_data.py writes them.
EXPECTED = {
    '-1FOHq0uK5RLtbXLTZaNbw': ('train', (24, 32), 0),
    '0035fkbjWljhaftpVM37-g': ('train', (32, 24), 1),
    '_1Gn_xkw7sa_i9GU4mkxxQ': ('validation', (24, 40), 2),
}


class MapillaryVistasTest(builder_testing.BuilderTest):
  DATASET_CLASS = mapillary_vistas.MapillaryVistas
  SPLITS = {'train': 2, 'validation': 1}

  def test_palette_indices_are_class_ids_and_unlabeled_is_ignored(self):
    seen = set()
    for split in ('train', 'validation'):
      for ex in self.examples(split):
        seg = ex['segmentation'][..., 0]
        h, w = seg.shape
        third = h // 3
        key = next(k for k, (s, shape, _) in EXPECTED.items()
                   if s == split and shape == (h, w))
        assert ex['image'].shape == (h, w, 3) and ex['has_segmentation']
        np.testing.assert_array_equal(seg[:third], 27)        # Sky
        np.testing.assert_array_equal(seg[-third:], 13)       # Road
        np.testing.assert_array_equal(seg[third:-third, :4], 64)  # Ego Vehicle
        np.testing.assert_array_equal(seg[third:-third, 4:8], EXPECTED[key][2])
        np.testing.assert_array_equal(seg[third:-third, 8:], 255)  # Unlabeled
        seen.add(key)
    assert seen == set(EXPECTED)

  def test_catalogue_names_match_the_dummy_config(self):
    labels = json.loads((self.dummy_data / 'config_v1.2.json').read_text())['labels']
    info = catalog.get('mapillary_vistas')
    assert info.num_classes == 65 and info.ignore_label == 255
    assert tuple(l['readable'] for l in labels) == (*info.class_names, 'Unlabeled')


# ---------------------------------------------- v1.x layout, malformed files

def _segmentations(manual_dir):
  builder = mapillary_vistas.MapillaryVistas(data_dir=tempfile.mkdtemp())
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))
  return {split: sorted((ex['segmentation'].tobytes() for ex in tfds.as_numpy(
      builder.as_dataset(split=split)))) for split in ('train', 'validation')}


@pytest.fixture
def manual_dir(tmp_path):
  shutil.copytree(MapillaryVistasTest.dummy_data, tmp_path / 'manual')
  return tmp_path / 'manual'


def test_v1_layout_gives_the_same_examples(manual_dir):
  expected = _segmentations(MapillaryVistasTest.dummy_data)
  (manual_dir / 'config_v1.2.json').rename(manual_dir / 'config.json')
  for folder in ('training', 'validation'):
    (manual_dir / folder / 'v1.2' / 'labels').rename(manual_dir / folder / 'labels')
    (manual_dir / folder / 'v1.2').rmdir()
  assert _segmentations(manual_dir) == expected


def test_label_index_beyond_unlabeled_names_the_label_file(manual_dir):
  path = manual_dir / 'validation/v1.2/labels/_1Gn_xkw7sa_i9GU4mkxxQ.png'
  image = Image.open(path)
  indices = np.asarray(image).copy()
  indices[0, 0] = 66
  out = Image.frombytes('P', image.size, indices.tobytes())
  out.putpalette(image.getpalette())
  out.save(path)
  with pytest.raises(builders.DatasetFileError,
                     match='_1Gn_xkw7sa_i9GU4mkxxQ.png: has label indices up to 66'):
    _segmentations(manual_dir)


def test_config_with_other_classes_is_named(manual_dir):
  path = manual_dir / 'config_v1.2.json'
  config = json.loads(path.read_text())
  config['labels'][13]['readable'] = 'Street'
  path.write_text(json.dumps(config))
  with pytest.raises(builders.DatasetFileError,
                     match="config_v1.2.json: .*label 13 is 'Street', expected 'Road'"):
    _segmentations(manual_dir)
  path.write_text('{"labels": [')
  with pytest.raises(builders.DatasetFileError, match='config_v1.2.json: is not a Vistas config'):
    _segmentations(manual_dir)


def test_missing_config_is_named(manual_dir):
  (manual_dir / 'config_v1.2.json').unlink()
  with pytest.raises(builders.DatasetFileError, match='config_v1.2.json: not found'):
    _segmentations(manual_dir)
