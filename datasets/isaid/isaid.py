"""iSAID semantic segmentation, cut into 800 x 800 tiles.

Reads the official release as distributed: the DOTA-v1.0 images (iSAID
re-annotates them and ships no images of its own) and iSAID's semantic
masks, `<split>/Semantic_masks/images/<id>_instance_color_RGB.png` next to
`<split>/images/<id>.png`, for the `train` and `val` splits (the test masks
are withheld, so there is no test split). Images P1527 and P1530 are
skipped, as the devkit's `split.py` and the paper's preprocessing skip them.

Labels: the masks are RGB PNGs with one flat colour per class, the colour
table of the iSAID devkit (github.com/CAPTAIN-WHU/iSAID_Devkit) and of the
paper's own builder (`factors_of_influence/fids/isaid.py`, ISAID_LABELS),
matched exactly. Colour number c of that table is the devkit's class c:
0 = background / unlabelled (black), then the 15 object classes in the
devkit's order. Tiling: DOTA images are up to about 4000 x 13000 pixels;
as the devkit's `split.py` and the paper's `preprocess/isaid_split.py` do,
an image is cut into 800 x 800 windows whose starts are 600 pixels apart
(200 overlap), the last row and column moved back to end at the border;
one example per window, keyed `<image id>_<y0>_<x0>` (e.g.
`P0000_600_1200`). Two configs differ in background and small images:

`standard` (catalogue `isaid`): background is trained as a class, the
  community's common choice (the usual 16-class iSAID semantic
  segmentation protocol: background covers most pixels, and a model must
  predict it): class ids 0..15 as the table, and a colour outside it (none
  is expected) is the ignore label 255. Windows as `builders.tiles`: a
  side of 800 pixels or less gives one window spanning it, and the other
  side is still tiled, so no example is larger than 800 x 800 (unlike the
  devkit, which keeps an image whole unless *both* sides exceed 800).
`foi` (catalogue `isaid_foi`): as the Factors of Influence paper's builder
  reads the patches its preprocessing cut. Labels: its class 0
  'unlabeled' (black; its ISAID_LABELS mark it ignoreInEval, and
  `utils.convert_segmentation_rgb_to_class_id` gives unmatched colours 0
  too) is read as ignored: black and every colour outside the table are
  the ignore label 255, and the 15 classes are 0..14 (its names). Windows
  as `preprocess/image_generate_patches.create_patches` (800 x 800, overlap
  200, the flags' defaults in isaid_split.py): its starts step by 600 from
  0 and a window past the border is moved back to end there, which gives
  the windows of `builders.tiles` when both sides are at least 800 px; an
  image smaller than 800 px on either side is kept whole, one example of
  its full size (e.g. 400 x 1500), not cut along its longer side. Keys as
  in `standard` (a whole image's are `<image id>_0_0`).

Not confirmed without the paper's patch files: that its preprocessing,
run on the devkit layout (masks beside the images, cut alike), left
exactly these windows; its code suggests nothing else. Its builder also
makes a `test` split without labels, not built here.

Also in the release, not read: the instance masks (`Instance_masks/`,
`<id>_instance_id_RGB.png`) and the COCO-style JSON (`Annotations/`).
TFDS ships no iSAID or DOTA builder.
"""

import numpy as np
import tensorflow_datasets as tfds

from transfer.data import builders

# The devkit's colour table, in class id order (catalogue CLASS_NAMES).
COLORS = (
    (0, 0, 0),        # background
    (0, 0, 63),       # ship
    (0, 63, 63),      # storage tank
    (0, 63, 0),       # baseball diamond
    (0, 63, 127),     # tennis court
    (0, 63, 191),     # basketball court
    (0, 63, 255),     # ground track field
    (0, 127, 63),     # bridge
    (0, 127, 127),    # large vehicle
    (0, 0, 127),      # small vehicle
    (0, 0, 191),      # helicopter
    (0, 0, 255),      # swimming pool
    (0, 191, 127),    # roundabout
    (0, 127, 191),    # soccer ball field
    (0, 127, 255),    # plane
    (0, 100, 155),    # harbor
)
# foi: the 15 classes (ids 0..14); black and unmatched colours are ignored.
FOI_COLORS = COLORS[1:]
TILE_SIZE = 800
TILE_OVERLAP = 200
# Skipped by the iSAID devkit's split.py (and the paper's preprocessing).
SKIPPED = ('P1527', 'P1530')
_SPLITS = {'train': 'train', 'validation': 'val'}
_MASK_SUFFIX = '_instance_color_RGB.png'


class Isaid(builders.ManualBuilder):
  """iSAID semantic segmentation (15 classes, + background), 800x800 tiles."""

  BUILDER_CONFIGS = [
      tfds.core.BuilderConfig(
          name='standard', description='16 classes: background trained as a class; every '
          'image tiled.'),
      tfds.core.BuilderConfig(
          name='foi', description="15 classes as the FoI paper's builder: background "
          'ignored; an image under 800 px on a side kept whole.'),
  ]
  CATALOG_NAMES = {'standard': 'isaid', 'foi': 'isaid_foi'}
  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  iSAID's images are those of DOTA-v1.0; its masks come separately.
  1. From DOTA-v1.0 (https://captain-whu.github.io/DOTA/dataset.html, the
     "DOTA-v1.0" images) download train/images/part1.zip, part2.zip,
     part3.zip and val/images/part1.zip (<dota> below). Each holds a folder
     images/; unzip the train parts inside <manual_dir>/train and the val
     part inside <manual_dir>/val:
       cd <manual_dir>/train && for p in 1 2 3; do unzip <dota>/train/images/part$p.zip; done
       cd <manual_dir>/val && unzip <dota>/val/images/part1.zip
  2. From iSAID (https://captain-whu.github.io/iSAID/dataset.html) download
     train/Semantic_masks/images.zip and val/Semantic_masks/images.zip
     (<isaid> below); each holds a folder images/. Unzip them inside
     <manual_dir>/train/Semantic_masks and <manual_dir>/val/Semantic_masks:
       mkdir -p <manual_dir>/train/Semantic_masks <manual_dir>/val/Semantic_masks
       cd <manual_dir>/train/Semantic_masks && unzip <isaid>/train/Semantic_masks/images.zip
       cd <manual_dir>/val/Semantic_masks && unzip <isaid>/val/Semantic_masks/images.zip
  3. Then these exist:
       <manual_dir>/train/images/P0000.png
       <manual_dir>/train/Semantic_masks/images/P0000_instance_color_RGB.png
       <manual_dir>/val/images/P0003.png
       <manual_dir>/val/Semantic_masks/images/P0003_instance_color_RGB.png
     (the devkit's layout, with the masks inside <split>/images/ beside the
     images, works too).
  4. python -m transfer.data.build isaid --manual_dir=<manual_dir>
     python -m transfer.data.build isaid_foi --manual_dir=<manual_dir>
     (the same download serves both)
  """

  def _split_generators(self, dl_manager):
    return {split: self._generate_examples(
        self.manual_path(dl_manager, folder, 'images', directory=True).parent)
            for split, folder in _SPLITS.items()}

  def _generate_examples(self, root):
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    foi = self.builder_config.name == 'foi'
    colors = {color: i for i, color in enumerate(FOI_COLORS if foi else COLORS)}
    ignore = self.dataset_info.ignore_label
    # DOTA images are P<4 digits>.png; the devkit layout puts the masks
    # (names with '_') in the same folder.
    for image_path in sorted((root / 'images').glob('*.png')):
      image_id = image_path.stem
      if '_' in image_id or image_id in SKIPPED:
        continue
      mask_path = root / 'Semantic_masks' / 'images' / f'{image_id}{_MASK_SUFFIX}'
      if not mask_path.exists() and (root / 'images' / mask_path.name).exists():
        mask_path = root / 'images' / mask_path.name
      image = builders.read_image(image_path, steps)
      # Kept as uint8 RGB and converted tile by tile: a whole 4000 x 13000
      # mask in int32 would take gigabytes.
      mask = builders.read_image(mask_path, steps)
      if mask.shape != image.shape:
        raise self.fail(mask_path, f'mask is {mask.shape[1]}x{mask.shape[0]} '
                        f'(width x height), the image {image_path.name} '
                        f'{image.shape[1]}x{image.shape[0]}')
      height, width = image.shape[:2]
      for y0, x0, y1, x1 in builders.tiles(height, width, TILE_SIZE, TILE_OVERLAP,
                                           whole_if_smaller=foi):
        labels = builders.colors_to_ids(
            mask[y0:y1, x0:x1].astype(np.int32), colors, ignore)
        yield f'{image_id}_{y0}_{x0}', self.example(
            image[y0:y1, x0:x1], segmentation=labels)
