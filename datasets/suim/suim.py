"""SUIM (Segmentation of Underwater IMagery, Islam et al., IROS 2020).

Reads the official release as it unpacks: `train_val/` (1,525 images) and
`TEST/` (110 images), each with `images/<id>.jpg` and `masks/<id>.bmp`
(same `<id>`, e.g. `d_r_122_`).

Masks are 24-bit RGB BMPs in which every channel encodes one bit of the
class, the 3-bit code R,G,B (R the high bit):

  000 BW background waterbody    100 RO robots/instruments
  001 HD human divers            101 RI reefs/invertebrates
  010 PF plants/sea-grass        110 FV fish/vertebrates
  011 WR wrecks/ruins            111 SR sea-floor/rocks

The stored values are not exactly 0/255 everywhere, which is why the
official code thresholds them. Two configs read them differently:

`standard` (catalogue `suim`): as the official code (`utils/data_utils.py`
  of xahidbuffon/SUIM), which divides by 255 and thresholds at 0.5: a
  channel is "on" when >= 128, and the code is the class id (BW 0, HD 1,
  ..., SR 7). Waterbody is trained as a class, the community's common
  choice (all 8 codes are classes), and every pixel gets one of the 8, so
  nothing is void.
`foi` (catalogue `suim_foi`): as the Factors of Influence paper's builder
  (`factors_of_influence/fids/suim.py`, SUIM_LABELS read by
  `utils.convert_segmentation_rgb_to_class_id`): a pixel is a class only
  if its colour is exactly one of the 8 codes' 0/255 colours; its class 0
  'background' is waterbody (black) and also every other colour (the
  off-by-one and noisy values), and is read as ignored: both are the
  ignore label 255, and HD..SR (codes 001..111) are classes 0..6, with its
  names.

Known quirk: a few dozen training masks are larger than their image
(extra rows/columns at the bottom/right; the paper's builder lists 37 such
ids, e.g. `f_r_829_`, with the size to crop each to). In both configs we
crop such a mask to its image at the top-left, as that builder does; a
mask smaller than its image is an error.

Splits (both configs): SUIM has no validation split, so the official TEST
set is our `validation` split (what the paper evaluates on). No list file
defines them: `train` is every `train_val/images/*.jpg` (1,525) and
`validation` every `TEST/images/*.jpg` (110), as the paper's builder globs
the same folders (its `train_val/` and `test/`, its splits `train` and
`test`). Not confirmed without its files: that its lower-case `test/` held
the release's TEST folder unchanged, and that its list of 37 oversized
masks is every mask our crop rule meets. TFDS has no SUIM builder.
"""

from etils import epath
import numpy as np
import tensorflow_datasets as tfds

from transfer.data import builders

# Split -> candidate folder names (the release names the test folder `TEST`;
# a lower-case `test` from a re-packed copy is accepted too).
_SPLITS = {'train': ('train_val',), 'validation': ('TEST', 'test')}
# foi: the exact colours of codes 001..111 -> ids 0..6; black (waterbody)
# and every other colour are ignored.
FOI_COLORS = {
    (0, 0, 255): 0,      # HD
    (0, 255, 0): 1,      # PF
    (0, 255, 255): 2,    # WR
    (255, 0, 0): 3,      # RO
    (255, 0, 255): 4,    # RI
    (255, 255, 0): 5,    # FV
    (255, 255, 255): 6,  # SR
}


class Suim(builders.ManualBuilder):
  """SUIM underwater semantic segmentation (8 or 7 classes) in the project's example format."""

  BUILDER_CONFIGS = [
      tfds.core.BuilderConfig(
          name='standard', description='8 classes: channels thresholded at 128, waterbody '
          'trained as a class.'),
      tfds.core.BuilderConfig(
          name='foi', description="7 classes as the FoI paper's builder: exact colours, "
          'waterbody and other colours ignored.'),
  ]
  CATALOG_NAMES = {'standard': 'suim', 'foi': 'suim_foi'}
  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  1. Open the SUIM page (https://irvlab.cs.umn.edu/resources/suim-dataset)
     and follow its Google Drive link; download the `train_val` folder
     (1,525 images) and the `TEST` folder (110 images) (Drive serves each
     as a zip archive).
  2. Extract both into the manual dir, so that these exist:
       <manual_dir>/train_val/images/d_r_122_.jpg
       <manual_dir>/train_val/masks/d_r_122_.bmp
       <manual_dir>/TEST/images/d_r_47_.jpg
       <manual_dir>/TEST/masks/d_r_47_.bmp
     (manual_dir defaults to <data_dir>/downloads/manual/).
  3. python -m transfer.data.build suim --manual_dir=<manual_dir>
     python -m transfer.data.build suim_foi --manual_dir=<manual_dir>
     (the same download serves both)
  """

  def _split_generators(self, dl_manager):
    out = {}
    for split, folders in _SPLITS.items():
      root = _first_dir(dl_manager.manual_dir, folders)
      if root is None:  # Neither exists: report the official name.
        root = self.manual_path(dl_manager, folders[0], directory=True)
      out[split] = self._generate_examples(root)
    return out

  def _generate_examples(self, root):
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    ignore = self.dataset_info.ignore_label
    if self.builder_config.name == 'foi':
      to_ids = lambda rgb: foi_mask_to_ids(rgb, ignore)
    else:
      to_ids = mask_to_ids
    images = sorted((root / 'images').glob('*.jpg'))
    if not images:
      raise self.fail(root / 'images', 'no *.jpg images found')
    for image_path in images:
      image = builders.read_image(image_path, steps)
      mask_path = root / 'masks' / f'{image_path.stem}.bmp'
      rgb = builders.read_image(mask_path, steps)
      height, width = image.shape[:2]
      if rgb.shape[0] < height or rgb.shape[1] < width:
        raise self.fail(mask_path, f'mask is {rgb.shape[0]}x{rgb.shape[1]}, '
                        f'smaller than its image ({height}x{width})')
      yield image_path.stem, self.example(image, segmentation=to_ids(rgb[:height, :width]))


def mask_to_ids(rgb: np.ndarray) -> np.ndarray:
  """SUIM's RGB mask -> class ids 0..7 (bits R, G, B thresholded at 128)."""
  bits = (np.asarray(rgb) >= 128).astype(np.int32)
  return bits[..., 0] * 4 + bits[..., 1] * 2 + bits[..., 2]


def foi_mask_to_ids(rgb: np.ndarray, ignore_label: int) -> np.ndarray:
  """SUIM's RGB mask -> class ids 0..6 as the paper's builder: exact
  colours only; waterbody and every other colour -> ignore_label."""
  return builders.colors_to_ids(np.asarray(rgb).astype(np.int32), FOI_COLORS, ignore_label)


def _first_dir(manual_dir, names):
  """The first of `manual_dir/name` that is a directory, else None."""
  for name in names:
    path = epath.Path(manual_dir) / name
    if path.is_dir():
      return path
  return None
