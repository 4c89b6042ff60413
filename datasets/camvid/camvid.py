"""CamVid (Cambridge-driving Labeled Video Database), 31 classes.

Reads the two archives of the original release as downloaded, in place:
  701_StillsRaw_full.zip   701_StillsRaw_full/<seq>_<frame>.png, 701 RGB
                           frames (720x960) of the sequences 0001TP, 0006R0,
                           0016E5 and Seq05VD (e.g. 0016E5_07959.png,
                           Seq05VD_f00000.png)
  LabeledApproved_full.zip <seq>_<frame>_L.png, RGB colour-coded labels
Members are matched by file name, wherever a folder inside the zip puts them.

Labels: each colour of the release's label_colors.txt is a class, in that
file's order (Animal 64 128 64 -> 0, Archway -> 1, ..., Wall 64 192 0 -> 30),
except Void (0 0 0), which becomes the ignore label 255. The table is
written out below, so label_colors.txt itself is not needed. A colour not in
the table also becomes 255: the paper's builder
(factors_of_influence/fids/camvid.py) maps such pixels to its background
class too, and the release does not promise clean colours.

Splits: the SegNet split (Badrinarayanan et al.) that MSeg's camvid-32 lists
(mseg-api dataset_lists/camvid-32/list/{train,val,test}.txt) and so the
paper's builder use: `validation` is 0016E5 frames 07959..08159 (101),
`test` is Seq05VD and 0001TP frames from 008550 on (233), `train` the other
367 frames.

TFDS has no CamVid builder, so this one is our own; the zips are read with
`builders.ZipArchive`.
"""

import re

import tensorflow_datasets as tfds

from transfer.data import builders

_IMAGES_ZIP = '701_StillsRaw_full.zip'
_LABELS_ZIP = 'LabeledApproved_full.zip'

# label_colors.txt, in its order: colour -> class id; Void (0 0 0) is left out
# and so becomes the ignore label.
COLORS = {
    (64, 128, 64): 0,     # Animal
    (192, 0, 128): 1,     # Archway
    (0, 128, 192): 2,     # Bicyclist
    (0, 128, 64): 3,      # Bridge
    (128, 0, 0): 4,       # Building
    (64, 0, 128): 5,      # Car
    (64, 0, 192): 6,      # CartLuggagePram
    (192, 128, 64): 7,    # Child
    (192, 192, 128): 8,   # Column_Pole
    (64, 64, 128): 9,     # Fence
    (128, 0, 192): 10,    # LaneMkgsDriv
    (192, 0, 64): 11,     # LaneMkgsNonDriv
    (128, 128, 64): 12,   # Misc_Text
    (192, 0, 192): 13,    # MotorcycleScooter
    (128, 64, 64): 14,    # OtherMoving
    (64, 192, 128): 15,   # ParkingBlock
    (64, 64, 0): 16,      # Pedestrian
    (128, 64, 128): 17,   # Road
    (128, 128, 192): 18,  # RoadShoulder
    (0, 0, 192): 19,      # Sidewalk
    (192, 128, 128): 20,  # SignSymbol
    (128, 128, 128): 21,  # Sky
    (64, 128, 192): 22,   # SUVPickupTruck
    (0, 0, 64): 23,       # TrafficCone
    (0, 64, 64): 24,      # TrafficLight
    (192, 64, 128): 25,   # Train
    (128, 128, 0): 26,    # Tree
    (192, 128, 192): 27,  # Truck_Bus
    (64, 0, 64): 28,      # Tunnel
    (192, 192, 0): 29,    # VegetationMisc
    (64, 192, 0): 30,     # Wall
}

_NAME = re.compile(r'^(0001TP|0006R0|0016E5|Seq05VD)_f?(\d+)$')


def split_of(name: str) -> str | None:
  """The SegNet split of a frame name (None: not a CamVid frame name)."""
  match = _NAME.match(name)
  if not match:
    return None
  sequence, frame = match.group(1), int(match.group(2))
  if sequence == 'Seq05VD' or (sequence == '0001TP' and frame >= 8550):
    return 'test'
  if sequence == '0016E5' and 7959 <= frame <= 8159:
    return 'validation'
  return 'train'


class Camvid(builders.ManualBuilder):
  """CamVid semantic segmentation (31 classes) in the project's example format."""

  CATALOG_NAME = 'camvid'
  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = f"""
  1. From the CamVid page
     (http://mi.eng.cam.ac.uk/research/projects/VideoRec/CamVid/) download
     the 701 still frames and their labels:
       {_IMAGES_ZIP}  (http://web4.cs.ucl.ac.uk/staff/g.brostow/MotionSegRecData/files/{_IMAGES_ZIP})
       {_LABELS_ZIP}  (http://web4.cs.ucl.ac.uk/staff/g.brostow/MotionSegRecData/data/{_LABELS_ZIP})
     (label_colors.txt is not needed: its table is part of the builder).
  2. Put both zips, as downloaded (do not extract them), directly in the
     manual dir:
       <manual_dir>/{_IMAGES_ZIP}
       <manual_dir>/{_LABELS_ZIP}
     (manual_dir defaults to <data_dir>/downloads/manual/).
  3. python -m transfer.data.build camvid --manual_dir=<manual_dir>
  """

  def _split_generators(self, dl_manager):
    images = self.manual_path(dl_manager, _IMAGES_ZIP)
    labels = self.manual_path(dl_manager, _LABELS_ZIP)
    return {split: self._generate_examples(images, labels, split)
            for split in ('train', 'validation', 'test')}

  def _generate_examples(self, images_zip, labels_zip, split):
    ignore = self.dataset_info.ignore_label
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    with (builders.ZipArchive(images_zip, steps) as images,
          builders.ZipArchive(labels_zip, steps) as labels):
      image_members = images.index(r'(?:^|/)([^/]+)\.png$')
      label_members = labels.index(r'(?:^|/)([^/]+)_L\.png$')
      for (name,), image_member in sorted(image_members.items()):
        if split_of(name) != split:
          continue
        label_member = label_members.get((name,))
        if label_member is None:
          raise self.fail(labels_zip, f'has no member {name}_L.png')
        image = images.image(image_member)
        rgb = labels.image(label_member)
        labels.check_size(label_member, rgb, image)
        yield name, self.example(
            image, segmentation=builders.colors_to_ids(rgb.astype('int32'), COLORS, ignore))
