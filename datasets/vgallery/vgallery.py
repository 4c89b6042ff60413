"""Virtual Gallery (vGallery; Weinzaepfel, Csurka, Cabon, Humenberger, CVPR 2019).

A Unity-rendered gallery of 3-4 rooms with 42 paintings. The training set
is what a robot with 6 cameras records on loops through the scene under
several lighting conditions; the testing set is what visitors photograph
(with occluding people). Reads the official release as it unpacks, one
folder per sequence:

  training/<sequence>/frames/rgb/camera_<c>/rgb_<n>.jpg        RGB JPEG
  training/<sequence>/frames/classsegmentation/camera_<c>/classgt_<n>.png
  training/<sequence>/frames/depth/camera_<c>/depth_<n>.png
  testing/<sequence>/frames/...                                 (same)

e.g. `training/gallery_light6_loop5/frames/rgb/camera_4/rgb_00220.jpg`
(<n> is 5 digits). Splits: `training` -> train, `testing` -> validation.

Class maps are RGB PNGs with one colour per class (the paper's builder):
wall (255,127,80) -> 0, ceiling (255,248,220) -> 1, sky (0,255,255) -> 2,
door (189,183,107) -> 3, light (230,230,250) -> 4, floor (233,150,122) -> 5,
misc (80,80,80) -> 6, painting (128,0,0) -> 7, human (0,255,0) -> 8.
Black (0,0,0), "background", is void (the ignore label), and so is any other
colour, as in the paper's builder, which maps unknown colours to background.

Depth maps are 16-bit grey PNGs of z-depth in centimetres (the NAVER LABS
Virtual KITTI convention, which the paper's builder applies: metres =
value / 100). Values saturate at 65535 (655.35 m, "farther is clipped").

TFDS has no Virtual Gallery builder.

Two configs:

`standard` (catalogue `vgallery`): 0 and 65535 are invalid (0); no clip.
`foi` (catalogue `vgallery_foi`): as the Factors of Influence paper's
  builder, `factors_of_influence/fids/vgallery.py` (config 'all'). Its
  labels are ours (VGALLERY_LABELS: 'Background' (0, 0, 0), then these
  colours in this order; unlisted colours are background too), with its
  capitalised names. Its depth is the PNG value / 100 (metres), stored
  unclipped, with no special case for 0 or 65535; the clip is its metadata
  (`_info_features`: `default_clip_min=0.21`, `default_clip_max=14.89`,
  required for depth by
  `fids_features.FeatureUtils.FEATURES_REQUIRED_IN_METADICT`, checked in
  `fids_dataset.FIDSDataset.info` and stored in the TFDS metadata), which
  no released code applies: the training code that read it is not public.
  Here the clip is applied to the stored metres, as in every `_foi` depth
  entry: below 0.21 m becomes 0.21, above 14.89 m 14.89, so a saturated
  65535 (655.35 m) is 14.89 m and valid; 0 stays 0 = invalid, as a clip
  that lifted it to 0.21 m would make a pixel without depth a valid
  target. Its frames come from `train_all.txt` / `test_all.txt` in its
  data dir, which are not published; their ids are
  `training/<sequence>/frames/rgb/camera_<c>/rgb_<n>.jpg` (and `testing/`
  for its test split), so every frame of both folders is read here, as in
  `standard`: which frames it listed is not confirmed.
"""

import io

from etils import epath
import numpy as np
from PIL import Image
import tensorflow_datasets as tfds

from transfer.data import builders

_SPLITS = {'train': 'training', 'validation': 'testing'}

# Class-map colour -> class id (see CLASS_NAMES in __init__.py).
COLORS = {
    (255, 127, 80): 0,    # wall
    (255, 248, 220): 1,   # ceiling
    (0, 255, 255): 2,     # sky
    (189, 183, 107): 3,   # door
    (230, 230, 250): 4,   # light
    (233, 150, 122): 5,   # floor
    (80, 80, 80): 6,      # misc
    (128, 0, 0): 7,       # painting
    (0, 255, 0): 8,       # human
}
DEPTH_SATURATED = 65535  # 655.35 m: clipped, invalid.
FOI_DEPTH_RANGE = (0.21, 14.89)  # metres, the paper's metadata.


def decode_depth_foi(depth_cm: np.ndarray) -> np.ndarray:
  """Centimetres -> metres clipped to 0.21-14.89 m (65535 at 14.89 m);
  0 stays 0 = invalid."""
  metres = np.clip(depth_cm / 100.0, *FOI_DEPTH_RANGE)
  return np.where(depth_cm > 0, metres, 0).astype(np.float32)


class Vgallery(builders.ManualBuilder):
  """Virtual Gallery segmentation (9 classes) and depth in the project's example format."""

  BUILDER_CONFIGS = [
      tfds.core.BuilderConfig(name='standard', description='0 and 65535 invalid, no clip.'),
      tfds.core.BuilderConfig(
          name='foi', description="As the FoI paper's builder: depth clipped to 0.21-14.89 m."),
  ]
  CATALOG_NAMES = {'standard': 'vgallery', 'foi': 'vgallery_foi'}
  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  1. On the Virtual Gallery page of NAVER LABS Europe
     (https://europe.naverlabs.com/research/3d-vision/virtual-gallery-dataset/)
     accept the licence and download the training and the testing data
     with the modalities rgb, classsegmentation and depth.
  2. Extract them into the manual dir, so that these exist:
       <manual_dir>/training/gallery_light1_loop1/frames/rgb/camera_0/rgb_00000.jpg
       <manual_dir>/training/gallery_light1_loop1/frames/classsegmentation/camera_0/classgt_00000.png
       <manual_dir>/training/gallery_light1_loop1/frames/depth/camera_0/depth_00000.png
       <manual_dir>/testing/<sequence>/frames/{rgb,classsegmentation,depth}/camera_<c>/...
     (manual_dir defaults to <data_dir>/downloads/manual/).
  3. python -m transfer.data.build vgallery --manual_dir=<manual_dir>
     python -m transfer.data.build vgallery_foi --manual_dir=<manual_dir>
  """

  def _split_generators(self, dl_manager):
    return {split: self._generate_examples(self.manual_path(dl_manager, folder, directory=True))
            for split, folder in _SPLITS.items()}

  def _generate_examples(self, root):
    frames = sorted(root.glob('*/frames/rgb/*/rgb_*.jpg'))
    if not frames:
      raise self.fail(root, 'no <sequence>/frames/rgb/camera_<c>/rgb_<n>.jpg frames found')
    for rgb_path in frames:
      camera_dir = rgb_path.parent
      sequence_dir = camera_dir.parent.parent.parent
      frame = rgb_path.stem.split('_', 1)[1]
      frames_dir = sequence_dir / 'frames'
      yield f'{root.name}/{sequence_dir.name}/{camera_dir.name}/{frame}', self._example(
          rgb_path,
          frames_dir / 'classsegmentation' / camera_dir.name / f'classgt_{frame}.png',
          frames_dir / 'depth' / camera_dir.name / f'depth_{frame}.png')

  def _example(self, rgb_path, class_path, depth_path):
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    image = builders.read_image(rgb_path, steps)
    segmentation = builders.read_color_labels(
        class_path, COLORS, self.dataset_info.ignore_label, steps)
    depth_cm = self._read_depth(depth_path)
    for path, array in ((class_path, segmentation), (depth_path, depth_cm)):
      if array.shape[:2] != image.shape[:2]:
        raise self.fail(path, f'is {array.shape[0]}x{array.shape[1]}, its frame '
                        f'{image.shape[0]}x{image.shape[1]}')
    if self.builder_config.name == 'foi':
      depth = decode_depth_foi(depth_cm)
    else:
      valid = (depth_cm > 0) & (depth_cm < DEPTH_SATURATED)
      depth = np.where(valid, depth_cm / 100.0, 0).astype(np.float32)
    return self.example(image, segmentation=segmentation, depth=depth)

  def _read_depth(self, path: epath.Path) -> np.ndarray:
    """A 16-bit grey PNG as an int32 array (centimetres)."""
    data = builders.read_bytes(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS)
    try:
      image = Image.open(io.BytesIO(data))
      image.load()
    except Exception as e:  # pylint: disable=broad-except
      raise self.fail(path, f'cannot be read ({type(e).__name__}: {e})') from e
    if image.mode not in ('I;16', 'I;16B', 'I;16L', 'I'):
      raise self.fail(path, f'expected a 16-bit grey PNG (centimetres), got mode {image.mode}')
    return np.asarray(image).astype(np.int32)
