"""ISPRS 2D semantic labelling (Potsdam, Vaihingen), cut into 800 x 800 tiles.

Three configs read the same official archives:

  potsdam, vaihingen: each city as its own dataset on the benchmark's splits,
             with its own channels and six classes (our definition, below);
  foi:       the two cities as one dataset (train Potsdam, validation
             Vaihingen), as the Factors of Influence paper's builder defines
             it (at the end).

The archives, as downloaded (or the folders they were extracted to):

  Potsdam:   2_Ortho_RGB.zip  top_potsdam_<row>_<col>_RGB.tif, 6000 x 6000
                              true orthophotos, 8-bit RGB;
             5_Labels_all.zip top_potsdam_<row>_<col>_label.tif, the full
                              ground truth of all 38 tiles.
  Vaihingen: ISPRS_semantic_labeling_Vaihingen.zip  top/top_mosaic_09cm_area<n>.tif,
                              about 2000 x 2500 orthophotos in IR-R-G false
                              colour;
             ISPRS_semantic_labeling_Vaihingen_ground_truth_COMPLETE.zip
                              top_mosaic_09cm_area<n>.tif (same file name as
                              the image), the full ground truth of all 33 areas.

Members are found by file name (inside any folder of the zip), except that
Vaihingen images must be in `top/`: that zip also holds the training labels
under `gts_for_participants/` with the same file names.

Images (potsdam, vaihingen) are stored with their channels as distributed:
RGB for Potsdam, and (near-infrared, red, green) in the three channels for
Vaihingen; each config is its own dataset, so the cities need not share
channels.

Labels: RGB TIFFs with six colours, class ids in the benchmark's order:
impervious surfaces (white) 0, building (blue) 1, low vegetation (cyan) 2,
tree (green) 3, car (yellow) 4, clutter/background (red) 5. Clutter is kept
as a class (the benchmark leaves it out of its ranking, but it covers real
pixels). Some label TIFFs hold artefact colours near a class colour (the
paper's builder mentions labels close to, but not exactly, green), so a
pixel takes the class whose colour is within 64 of it in every channel (the
six colours are corners of the RGB cube, so at most one is); any other
colour (black, magenta, mixed colours) becomes the ignore label 255. The
full labels are read, not the `*_noBoundary` / `*_eroded_*` variants (object
borders eroded and marked black), since training needs every pixel; the
benchmark's official scores use the eroded ones.

Splits: the benchmark's own: `train` = the tiles whose labels it gave to
participants (Potsdam 24, Vaihingen 16 areas), `validation` = its test tiles
(Potsdam 14, Vaihingen 17 areas), whose labels the COMPLETE/all archives
released later. Files of other tiles are not read.

Tiling: 800 x 800 windows whose starts are 600 pixels apart (200 overlap),
the last row and column moved back to end at the border
(`builders.tiles`), one example per window, keyed `<file stem>_<y0>_<x0>`
(e.g. `top_potsdam_2_10_5200_600`, `top_mosaic_09cm_area1_0_600`).

The `foi` config (catalogue entry `isprs_foi`) follows the paper's builder,
`factors_of_influence/fids/isprs.py` (google-research/google-research), and
the patches its `preprocess/isprs_split.py` cuts with
`preprocess/image_generate_patches.py`:
  splits:  train = all 38 Potsdam tiles, validation = all 33 Vaihingen areas
           (its ISPRS_SETS), whichever benchmark split a tile is in;
  images:  (R, G, (R + G) / 2) for both cities, from channels 0, 1 of
           Potsdam's RGB and 1, 2 of Vaihingen's IR-R-G; the mean is taken in
           float32 and cast back to uint8, so rounded down;
  labels:  exact colour match (utils.convert_segmentation_rgb_to_class_id;
           the tolerant euclidean variant in the same file is not called).
           Its class 0 'background' is clutter's red, and every colour that
           matches no class falls into it as well; here both are the ignore
           label 255, and its classes 1..5 are our 0..4: impervious
           surfaces, building, low vegetation, tree, car;
  windows: 800 x 800 with 200 overlap. create_patches steps its starts by
           600 from 0 and moves a window past the border back to end there;
           that gives the windows of `builders.tiles` whenever both sides are
           at least 800 px, but it keeps an image smaller than that on either
           side whole (not cut along its longer side), and so does this
           config (`builders.tiles(..., whole_if_smaller=True)`). Potsdam tiles are 6000 x 6000 and the
           Vaihingen areas, as far as we know, over 800 px on both sides, so
           on the real files the windows are those of the per-city configs.

Not confirmed without the paper's own files: which label archives it read
(the file names it expects, `top_potsdam_<row>_<col>_label.tif` and
`top_mosaic_09cm_area<n>.tif`, are those of the full labels, not of the
eroded ones) and that its Potsdam `top/` held 2_Ortho_RGB (its format 'RGB'
says so). Its `fids/fids_metadata_segmentation.py` lists 7 classes for
ISPRS, a 'clutter' after car, but the builder gives clutter's colour to
background and no colour to a 7th class, so it can never occur; we follow
the builder (5 classes).

TFDS ships no ISPRS builder.
"""

import dataclasses
import io
import re
import zipfile

from etils import epath
import numpy as np
from PIL import Image
import tensorflow_datasets as tfds

from transfer.data import builders

# Class id -> colour (catalogue CLASS_NAMES order).
COLORS = (
    (255, 255, 255),  # impervious surfaces
    (0, 0, 255),      # building
    (0, 255, 255),    # low vegetation
    (0, 255, 0),      # tree
    (255, 255, 0),    # car
    (255, 0, 0),      # clutter / background
)
# A channel within this of 0 or 255 counts as 0 or 255 (artefact colours).
COLOR_TOLERANCE = 64
TILE_SIZE = 800
TILE_OVERLAP = 200
# The paper's classes 1..5 (our 0..4 in foi): COLORS without clutter, whose
# red is its background (ignored here).
FOI_COLORS = COLORS[:5]


@dataclasses.dataclass(frozen=True)
class City:
  folder: str          # under the manual dir
  image_archive: str   # zip name without .zip (or the folder extracted from it)
  label_archive: str
  image_name: str      # regex of image file names; group 1 = tile id
  image_parent: str    # folder the image must be in ('' = any)
  label_name: str      # label file name, format(tile=tile id)
  stem: str            # key prefix, format(tile=tile id)
  red_green: tuple[int, int]  # channels of red and green in the image (foi)
  train: tuple[str, ...]
  validation: tuple[str, ...]

  @property
  def tiles(self) -> tuple[str, ...]:
    return self.train + self.validation


CITIES = {
    'potsdam': City(
        folder='Potsdam', image_archive='2_Ortho_RGB', label_archive='5_Labels_all',
        image_name=r'top_potsdam_(\d+_\d+)_RGB\.tif', image_parent='',
        label_name='top_potsdam_{tile}_label.tif', stem='top_potsdam_{tile}',
        red_green=(0, 1),
        train=('2_10', '2_11', '2_12', '3_10', '3_11', '3_12', '4_10', '4_11',
               '4_12', '5_10', '5_11', '5_12', '6_7', '6_8', '6_9', '6_10',
               '6_11', '6_12', '7_7', '7_8', '7_9', '7_10', '7_11', '7_12'),
        validation=('2_13', '2_14', '3_13', '3_14', '4_13', '4_14', '4_15',
                    '5_13', '5_14', '5_15', '6_13', '6_14', '6_15', '7_13')),
    'vaihingen': City(
        folder='Vaihingen', image_archive='ISPRS_semantic_labeling_Vaihingen',
        label_archive='ISPRS_semantic_labeling_Vaihingen_ground_truth_COMPLETE',
        image_name=r'top_mosaic_09cm_(area\d+)\.tif', image_parent='top',
        label_name='top_mosaic_09cm_{tile}.tif', stem='top_mosaic_09cm_{tile}',
        red_green=(1, 2),
        train=tuple(f'area{n}' for n in (1, 3, 5, 7, 11, 13, 15, 17, 21, 23, 26,
                                          28, 30, 32, 34, 37)),
        validation=tuple(f'area{n}' for n in (2, 4, 6, 8, 10, 12, 14, 16, 20, 22,
                                               24, 27, 29, 31, 33, 35, 38))),
}


def colors_to_classes(rgb: np.ndarray, ignore_label: int) -> np.ndarray:
  """uint8 [H, W, 3] label colours -> class ids, with COLOR_TOLERANCE."""
  high, low = rgb >= 255 - COLOR_TOLERANCE, rgb <= COLOR_TOLERANCE
  corner = np.where(high, 255, 0).astype(np.int32)
  ids = builders.colors_to_ids(corner, {c: i for i, c in enumerate(COLORS)}, ignore_label)
  return np.where(np.all(high | low, -1), ids, ignore_label).astype(np.int32)


def foi_classes(rgb: np.ndarray, ignore_label: int) -> np.ndarray:
  """uint8 [H, W, 3] label colours -> class ids as the paper's builder: the
  exact colours only; clutter and every other colour -> ignore_label."""
  return builders.colors_to_ids(rgb.astype(np.int32),
                                {c: i for i, c in enumerate(FOI_COLORS)}, ignore_label)


def pseudo_rgb(image: np.ndarray, red_green: tuple[int, int]) -> np.ndarray:
  """(R, G, (R + G) / 2), rounded down as the paper's float32 -> uint8 cast:
  the channels both cities have, so that one model sees both alike."""
  red, green = (image[..., c].astype(np.uint16) for c in red_green)
  return np.stack([red, green, (red + green) // 2], -1).astype(np.uint8)


class _Archive:
  """The files of one official zip: read from the zip, or from the folder it
  was extracted to (`<name>/`, up to three folders deep)."""

  def __init__(self, builder, root: epath.Path, name: str):
    self.builder = builder
    self.zip_path = root / f'{name}.zip'
    self.folder = root / name
    if self.zip_path.exists():
      self.is_zip = True
      try:
        with self.zip_path.open('rb') as f, zipfile.ZipFile(f) as z:
          self.members = [m for m in z.namelist() if not m.endswith('/')]
      except Exception as e:  # pylint: disable=broad-except
        raise builder.fail(self.zip_path, f'is not a readable zip ({type(e).__name__}: {e})')
    elif self.folder.is_dir():
      self.is_zip = False
      self.members = sorted(
          str(p.relative_to(self.folder))
          for pattern in ('*', '*/*', '*/*/*', '*/*/*/*') for p in self.folder.glob(pattern)
          if not p.is_dir())
    else:
      raise builder.fail(self.zip_path, f'not found (nor the folder {self.folder} '
                         'extracted from it)')

  def where(self, member: str) -> str:
    return f'{self.zip_path}:{member}' if self.is_zip else str(self.folder / member)

  def find(self, name: str) -> str:
    """The member whose file name is `name`."""
    for member in self.members:
      if member.rsplit('/', 1)[-1] == name:
        return member
    raise builders.DatasetFileError(self.where(name), 'not found',
                                    self.builder.MANUAL_DOWNLOAD_INSTRUCTIONS)

  def read_rgb(self, member: str, labels: bool = False) -> np.ndarray:
    """A TIFF member as uint8 [H, W, 3]."""
    try:
      if self.is_zip:
        with self.zip_path.open('rb') as f, zipfile.ZipFile(f) as z:
          data = z.read(member)
      else:
        data = (self.folder / member).read_bytes()
      image = Image.open(io.BytesIO(data))
      image.load()
    except Exception as e:  # pylint: disable=broad-except
      raise self.builder.fail(self.where(member), f'cannot be read ({type(e).__name__}: {e})')
    if labels and image.mode not in ('RGB', 'RGBA', 'P'):
      raise self.builder.fail(self.where(member), 'expected a colour-coded (RGB) label '
                              f'image, got mode {image.mode}')
    return np.asarray(image.convert('RGB'), np.uint8)


@dataclasses.dataclass(eq=False, kw_only=True)
class IsprsConfig(tfds.core.BuilderConfig):
  """One definition of the dataset.

  splits: (split, city, tile ids) for each split: a split's tiles are from
    one city (those of the ids found in its archives).
  foi: read as the paper's builder does: pseudo-RGB images, exact label
    colours with clutter ignored (5 classes), small images kept whole.
  tile_size, tile_overlap: the windows (a side, and the overlap of
    neighbours), in pixels.
  """
  splits: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
  foi: bool = False
  tile_size: int = TILE_SIZE
  tile_overlap: int = TILE_OVERLAP


def _city_config(name: str, description: str) -> IsprsConfig:
  city = CITIES[name]
  return IsprsConfig(name=name, description=description,
                     splits=(('train', name, city.train), ('validation', name, city.validation)))


class Isprs(builders.ManualBuilder):
  """ISPRS Potsdam / Vaihingen semantic labelling (6 classes), 800x800 tiles."""

  BUILDER_CONFIGS = [
      _city_config('potsdam', 'Potsdam, RGB, 38 tiles.'),
      _city_config('vaihingen', 'Vaihingen, IR-R-G false colour, 33 areas.'),
      IsprsConfig(
          name='foi', foi=True,
          description="Potsdam (train) and Vaihingen (validation) as the FoI paper's builder: "
                      'pseudo-RGB, 5 classes.',
          splits=(('train', 'potsdam', CITIES['potsdam'].tiles),
                  ('validation', 'vaihingen', CITIES['vaihingen'].tiles))),
  ]
  CATALOG_NAMES = {'potsdam': 'isprs_potsdam', 'vaihingen': 'isprs_vaihingen',
                   'foi': 'isprs_foi'}
  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  1. Request the data of the ISPRS 2D Semantic Labeling benchmark
     (https://www.isprs.org/education/benchmarks/UrbanSemLab/default.aspx;
     Potsdam: .../UrbanSemLab/2d-sem-label-potsdam.aspx, Vaihingen:
     .../UrbanSemLab/2d-sem-label-vaihingen.aspx). If they come as one
     archive per city, unpack that first.
  2. Put these zips, as downloaded (no need to unzip them), in the manual dir:
       <manual_dir>/Potsdam/2_Ortho_RGB.zip
       <manual_dir>/Potsdam/5_Labels_all.zip
       <manual_dir>/Vaihingen/ISPRS_semantic_labeling_Vaihingen.zip
       <manual_dir>/Vaihingen/ISPRS_semantic_labeling_Vaihingen_ground_truth_COMPLETE.zip
     (not the *_noBoundary / *_eroded_* label archives). A zip already
     extracted to a folder of its name without .zip (e.g.
     <manual_dir>/Potsdam/5_Labels_all/top_potsdam_2_10_label.tif) works too.
     Only the city being built is needed; isprs_foi (Potsdam to train,
     Vaihingen to validate) needs both.
  3. python -m transfer.data.build isprs_potsdam --manual_dir=<manual_dir>
     python -m transfer.data.build isprs_vaihingen --manual_dir=<manual_dir>
     python -m transfer.data.build isprs_foi --manual_dir=<manual_dir>
  """

  def _split_generators(self, dl_manager):
    splits = self.builder_config.splits
    files = {city: self._city_files(dl_manager, CITIES[city])
             for city in dict.fromkeys(city for _, city, _ in splits)}
    return {split: self._generate_examples(CITIES[city], *files[city], tiles)
            for split, city, tiles in splits}

  def _city_files(self, dl_manager, city):
    """The image and label archives of `city`, and {tile id: image member}."""
    root = self.manual_path(dl_manager, city.folder, directory=True)
    images = _Archive(self, root, city.image_archive)
    labels = _Archive(self, root, city.label_archive)
    found = {}
    for member in images.members:
      *parents, name = member.split('/')
      match = re.fullmatch(city.image_name, name)
      if match and (not city.image_parent or parents[-1:] == [city.image_parent]):
        found[match.group(1)] = member
    if not found:
      raise self.fail(images.zip_path if images.is_zip else images.folder,
                      f'holds no image named like {city.image_name!r}'
                      + (f' in a folder {city.image_parent}/' if city.image_parent else ''))
    return images, labels, found

  def _generate_examples(self, city, images, labels, found, tiles):
    config = self.builder_config
    ignore = self.dataset_info.ignore_label
    classes = foi_classes if config.foi else colors_to_classes
    for tile in sorted(set(tiles) & set(found)):
      image = images.read_rgb(found[tile])
      label_member = labels.find(city.label_name.format(tile=tile))
      label_rgb = labels.read_rgb(label_member, labels=True)
      if label_rgb.shape != image.shape:
        raise self.fail(labels.where(label_member),
                        f'is {label_rgb.shape[1]}x{label_rgb.shape[0]} (width x height), '
                        f'the image {image.shape[1]}x{image.shape[0]}')
      if config.foi:
        image = pseudo_rgb(image, city.red_green)
      stem = city.stem.format(tile=tile)
      for y0, x0, y1, x1 in builders.tiles(*image.shape[:2], config.tile_size,
                                           config.tile_overlap, whole_if_smaller=config.foi):
        yield f'{stem}_{y0}_{x0}', self.example(
            image[y0:y1, x0:x1], segmentation=classes(label_rgb[y0:y1, x0:x1], ignore))
