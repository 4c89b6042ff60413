"""Virtual KITTI 2: 14-class semantic segmentation and depth of synthetic driving frames.

Reads the official Virtual KITTI 2.0.3 archives, extracted together (they
share one tree): `vkitti_2.0.3_rgb.tar`, `vkitti_2.0.3_depth.tar` and
`vkitti_2.0.3_classSegmentation.tar`, optionally with
`vkitti_2.0.3_textgt.tar.gz` for the per-scene `colors.txt`:

  Scene01/clone/frames/rgb/Camera_0/rgb_00000.jpg
  Scene01/clone/frames/depth/Camera_0/depth_00000.png          16-bit, cm
  Scene01/clone/frames/classSegmentation/Camera_0/classgt_00000.png  RGB
  Scene01/clone/colors.txt                        "Category r g b" lines

Five scenes (Scene01, 02, 06, 18, 20), each rendered in ten variations
(clone, 15-deg-left/right, 30-deg-left/right, fog, morning, overcast, rain,
sunset) by two cameras of a stereo pair (375x1242 frames).

Splits (as the paper's builders, `fids/vkitti2.py`): Scene18 is
`validation`, Scene01/02/06/20 are `train`; all ten variations are used
(their "all" configuration), and only Camera_0 (the left camera; Camera_1
is its stereo twin, almost the same picture).

Labels: class segmentation PNGs are colour-coded; `colors.txt` gives each
category's colour. Class ids follow its order (Terrain 0 .. Van 13, names
in the catalogue); "Undefined" (0, 0, 0) is void, the ignore label 255. The
colours are the same in every scene; where `colors.txt` is absent (textgt
not downloaded) the builder uses the official table, which it also checks
each `colors.txt` against. A colour in no table means a damaged file.

Depth: 16-bit PNG, 1 = 1 cm to the camera plane (z-depth), capped at
655.35 m (the sky).

Keys: `<scene>/<variation>/<camera>/<frame>`. TFDS has no Virtual KITTI
builder (its `kitti` reads the real KITTI object benchmark).

Two configs:

`standard` (catalogue `virtual_kitti_2`): depth outside the valid range
  0.94-80 m (the paper's clip range), the sky included, is 0 = invalid.
`foi` (catalogue `virtual_kitti_2_foi`): as the Factors of Influence
  paper's builder, `factors_of_influence/fids/vkitti2.py` (config 'all',
  the one with every variation). Its labels are ours: VKITTI2_LABELS is
  'Background' (0, 0, 0) and colors.txt's 14 classes in its order, and an
  unlisted colour is background too (here, as in `standard`, an error: it
  means a damaged file). Its depth is the PNG value / 100 (metres), stored
  unclipped; the clip is its metadata (`_info_features`:
  `default_clip_min=0.94`, `default_clip_max=80.0`, required for depth by
  `fids_features.FeatureUtils.FEATURES_REQUIRED_IN_METADICT`, checked in
  `fids_dataset.FIDSDataset.info` and stored in the TFDS metadata), which
  no released code applies: the training code that read it is not public.
  Here the clip is applied to the stored metres, as in every `_foi` depth
  entry: below 0.94 m becomes 0.94, above 80 m 80, so the sky (655.35 m)
  is 80 m and valid; a value 0 (not in the renders as far as known) stays
  0 = invalid, as a clip that lifted it to 0.94 m would make a pixel
  without depth a valid target. Its frames come from `train_all.txt` /
  `test_all.txt` in its data dir, files that neither it nor Virtual KITTI
  2 publishes; its docstring names the split (Scene18 test, the others
  train), kept here, with Camera_0 as in `standard`: which cameras and
  frames it read is not confirmed.
"""

import numpy as np
import tensorflow_datasets as tfds

from transfer.data import builders

SCENES = {'train': ('Scene01', 'Scene02', 'Scene06', 'Scene20'),
          'validation': ('Scene18',)}
VARIATIONS = ('15-deg-left', '15-deg-right', '30-deg-left', '30-deg-right', 'clone',
              'fog', 'morning', 'overcast', 'rain', 'sunset')
CAMERA = 'Camera_0'
MIN_DEPTH_CM, MAX_DEPTH_CM = 94, 8000
# colors.txt of Virtual KITTI 2.0.3: category -> (r, g, b).
COLORS = {
    'Terrain': (210, 0, 200), 'Sky': (90, 200, 255), 'Tree': (0, 199, 0),
    'Vegetation': (90, 240, 0), 'Building': (140, 140, 140), 'Road': (100, 60, 100),
    'GuardRail': (250, 100, 255), 'TrafficSign': (255, 255, 0),
    'TrafficLight': (200, 200, 0), 'Pole': (255, 130, 0), 'Misc': (80, 80, 80),
    'Truck': (160, 60, 60), 'Car': (255, 127, 80), 'Van': (0, 139, 139),
    'Undefined': (0, 0, 0),
}


def decode_depth(raw: np.ndarray) -> np.ndarray:
  """16-bit centimetres -> metres, 0 outside 0.94-80 m."""
  valid = (raw >= MIN_DEPTH_CM) & (raw <= MAX_DEPTH_CM)
  return np.where(valid, raw.astype(np.float32) / 100, 0).astype(np.float32)


def decode_depth_foi(raw: np.ndarray) -> np.ndarray:
  """16-bit centimetres -> metres clipped to 0.94-80 m (the sky at 80 m);
  0 stays 0 = invalid."""
  metres = raw.astype(np.float32) / 100
  return np.where(raw > 0, np.clip(metres, MIN_DEPTH_CM / 100, MAX_DEPTH_CM / 100),
                  0).astype(np.float32)


class VirtualKitti2(builders.ManualBuilder):
  """Virtual KITTI 2 segmentation (14 classes) and depth, all variations, Camera_0."""

  BUILDER_CONFIGS = [
      tfds.core.BuilderConfig(
          name='standard', description='Depth outside 0.94-80 m (the sky too) invalid.'),
      tfds.core.BuilderConfig(
          name='foi', description="As the FoI paper's builder: depth clipped to 0.94-80 m, "
          'the sky at 80 m.'),
  ]
  CATALOG_NAMES = {'standard': 'virtual_kitti_2', 'foi': 'virtual_kitti_2_foi'}
  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  1. From the Virtual KITTI 2 page
     (https://europe.naverlabs.com/research/computer-vision/proxy-virtual-worlds-vkitti-2/)
     download (https://download.europe.naverlabs.com/virtual_kitti_2.0.3/...)
       vkitti_2.0.3_rgb.tar
       vkitti_2.0.3_depth.tar
       vkitti_2.0.3_classSegmentation.tar
       vkitti_2.0.3_textgt.tar.gz (optional: the per-scene colors.txt)
  2. Extract all of them into the manual dir (they share one tree), so that
     these exist:
       <manual_dir>/Scene01/clone/frames/rgb/Camera_0/rgb_00000.jpg
       <manual_dir>/Scene01/clone/frames/depth/Camera_0/depth_00000.png
       <manual_dir>/Scene01/clone/frames/classSegmentation/Camera_0/classgt_00000.png
       <manual_dir>/Scene01/clone/colors.txt (from textgt, optional)
     for Scene01, Scene02, Scene06, Scene18, Scene20 and the ten variations
     (manual_dir defaults to <data_dir>/downloads/manual/).
  3. python -m transfer.data.build virtual_kitti_2 --manual_dir=<manual_dir>
     python -m transfer.data.build virtual_kitti_2_foi --manual_dir=<manual_dir>
  """

  def _split_generators(self, dl_manager):
    out = {}
    for split, scenes in SCENES.items():
      folders = [self.manual_path(dl_manager, scene, variation, directory=True)
                 for scene in scenes for variation in VARIATIONS]
      out[split] = self._generate_examples(folders)
    return out

  def colors(self, folder) -> dict:
    """(r, g, b) -> class id (ignore for Undefined), from colors.txt if there."""
    path = folder / 'colors.txt'
    table = COLORS
    if path.exists():
      lines = builders.read_text(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS).splitlines()
      rows = [line.split() for line in lines if line.strip()]
      if not rows or rows[0] != ['Category', 'r', 'g', 'b']:
        raise self.fail(path, "expected a header line 'Category r g b'")
      table = {}
      for row in rows[1:]:
        if len(row) != 4 or not all(v.isdigit() for v in row[1:]):
          raise self.fail(path, f'malformed line {" ".join(row)!r}')
        table[row[0]] = tuple(int(v) for v in row[1:])
      if table.keys() - COLORS.keys():
        raise self.fail(path, f'unknown categories {sorted(table.keys() - COLORS.keys())}')
      changed = [name for name, rgb in table.items() if COLORS[name] != rgb]
      if changed:
        raise self.fail(path, f'colours of {changed} differ from Virtual KITTI 2.0.3')
    names = self.dataset_info.class_names
    ignore = self.dataset_info.ignore_label
    out = {rgb: names.index(name) if name in names else ignore for name, rgb in table.items()}
    out.setdefault((0, 0, 0), ignore)
    return out

  def _generate_examples(self, folders):
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    decode = decode_depth_foi if self.builder_config.name == 'foi' else decode_depth
    for folder in folders:
      colors = self.colors(folder)
      frames = folder / 'frames'
      rgb_dir = frames / 'rgb' / CAMERA
      if not rgb_dir.is_dir():
        raise builders.DatasetFileError(rgb_dir, 'not found', steps)
      for image_path in sorted(rgb_dir.glob('rgb_*.jpg')):
        number = image_path.stem.split('_', 1)[1]
        image = builders.read_image(image_path, steps)
        depth_path = frames / 'depth' / CAMERA / f'depth_{number}.png'
        raw_depth = builders.read_labels(depth_path, steps)
        seg_path = frames / 'classSegmentation' / CAMERA / f'classgt_{number}.png'
        rgb = builders.read_image(seg_path, steps).astype(np.int32)
        for path, array in ((depth_path, raw_depth), (seg_path, rgb)):
          if array.shape[:2] != image.shape[:2]:
            raise self.fail(path, f'is {array.shape[:2]}, its image {image.shape[:2]}')
        segmentation = builders.colors_to_ids(rgb, colors, -1)
        if np.any(segmentation < 0):
          y, x = np.argwhere(segmentation < 0)[0]
          raise self.fail(seg_path, f'has colour {tuple(int(c) for c in rgb[y, x])} at ({y}, {x}), '
                          'which is no class of colors.txt')
        key = f'{folder.parent.name}/{folder.name}/{CAMERA}/{number}'
        yield key, self.example(image, segmentation=segmentation, depth=decode(raw_depth))
