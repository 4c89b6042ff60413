"""SUIM (Segmentation of Underwater IMagery, Islam et al., IROS 2020).

Reads the official release as it unpacks: `train_val/` (1,525 images) and
`TEST/` (110 images), each with `images/<id>.jpg` and `masks/<id>.bmp`
(same `<id>`, e.g. `d_r_122_`).

Masks are 24-bit RGB BMPs in which every channel encodes one bit of the
class: the official code (`utils/data_utils.py` of xahidbuffon/SUIM) divides
by 255 and thresholds at 0.5, because the stored values are not exactly
0/255. We do the same (a channel is "on" when >= 128) and read the 3-bit
code R,G,B (R the high bit) as the class id:

  000 BW background waterbody -> 0    100 RO robots/instruments    -> 4
  001 HD human divers         -> 1    101 RI reefs/invertebrates   -> 5
  010 PF plants/sea-grass     -> 2    110 FV fish/vertebrates      -> 6
  011 WR wrecks/ruins         -> 3    111 SR sea-floor/rocks       -> 7

Every pixel gets one of the 8 classes (waterbody is a real class here, as
in the paper's builder), so nothing is void.

Known quirk: a few dozen training masks are larger than their image
(extra rows/columns at the bottom/right; the paper's builder lists 37 such
ids, e.g. `f_r_829_`). Like that builder we crop such a mask to the image
at the top-left; a mask smaller than its image is an error.

SUIM has no validation split, so the official TEST set is our
`validation` split (what the paper evaluates on). TFDS has no SUIM builder.
"""

from etils import epath
import numpy as np
import tensorflow_datasets as tfds

from transfer.data import builders

# Split -> candidate folder names (the release names the test folder `TEST`;
# a lower-case `test` from a re-packed copy is accepted too).
_SPLITS = {'train': ('train_val',), 'validation': ('TEST', 'test')}


class Suim(builders.ManualBuilder):
  """SUIM underwater semantic segmentation (8 classes) in the project's example format."""

  CATALOG_NAME = 'suim'
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
      yield image_path.stem, self.example(image, segmentation=mask_to_ids(rgb[:height, :width]))


def mask_to_ids(rgb: np.ndarray) -> np.ndarray:
  """SUIM's RGB mask -> class ids 0..7 (bits R, G, B thresholded at 128)."""
  bits = (np.asarray(rgb) >= 128).astype(np.int32)
  return bits[..., 0] * 4 + bits[..., 1] * 2 + bits[..., 2]


def _first_dir(manual_dir, names):
  """The first of `manual_dir/name` that is a directory, else None."""
  for name in names:
    path = epath.Path(manual_dir) / name
    if path.is_dir():
      return path
  return None
