"""What the real-data builders in `datasets/` share.

A builder subclasses `ManualBuilder`, names its catalogue entry (or one per
config), and yields `example(...)` dicts from files it opens through the
`read_*` helpers. Those helpers turn a missing or unreadable file into one
`DatasetFileError` that names the file and repeats the builder's manual
download steps, so a user with a half-extracted archive knows what to fetch.

Paths are `etils.epath.Path` (not `os`): builders then also read from GCS,
and TFDS's builder tests can check that no builder touches `os` directly.
"""

import contextlib
import inspect
import io
import re
from typing import Callable, Iterable, Mapping, Sequence
import zipfile
import zlib

from etils import epath
import numpy as np
from PIL import Image
import tensorflow_datasets as tfds

from transfer.data import catalog
from transfer.data import features
from transfer.errors import UserError

# Real aerial tiles (ISPRS, iSAID) exceed PIL's decompression-bomb guard.
Image.MAX_IMAGE_PIXELS = None


class DatasetFileError(UserError):
  """A file of a manual download is missing or cannot be read."""

  def __init__(self, path, problem: str, instructions: str):
    super().__init__(
        f'{path}: {problem}.', where=str(path),
        fix='check that the download is complete and laid out as these '
        f'manual download steps say:\n{_dedent(instructions)}')


def _dedent(text: str) -> str:
  return inspect.cleandoc(text or '(none given)')


class ManualBuilder(features.ExampleBuilder, skip_registration=True):
  """A builder of the project's example format from a manual download.

  Subclasses set `VERSION`, `MANUAL_DOWNLOAD_INSTRUCTIONS` and either
  `CATALOG_NAME` (the catalogue entry this builder serves) or, with
  `BUILDER_CONFIGS`, `CATALOG_NAMES` (config name -> catalogue entry).
  Every example is checked as it is written (`features.ExampleBuilder`).
  """

  CATALOG_NAME: str = ''
  CATALOG_NAMES: Mapping[str, str] = {}

  def _download_and_prepare(self, dl_manager, download_config):
    try:
      dl_manager.manual_dir  # pylint: disable=pointless-statement
    except AssertionError:  # TFDS's check for a missing or empty manual dir.
      raise DatasetFileError(
          dl_manager._manual_dir, 'the manual dir does not exist or is empty',  # pylint: disable=protected-access
          self.MANUAL_DOWNLOAD_INSTRUCTIONS) from None
    return super()._download_and_prepare(dl_manager, download_config)

  @property
  def dataset_info(self) -> catalog.DatasetInfo:
    """The catalogue entry of this builder (and config)."""
    if self.CATALOG_NAMES:
      return catalog.get(self.CATALOG_NAMES[self.builder_config.name])
    return catalog.get(self.CATALOG_NAME)

  def _info(self) -> tfds.core.DatasetInfo:
    info = self.dataset_info
    return self.dataset_info_from_configs(
        description=inspect.getdoc(type(self)) or '',
        features=features.example_features(info.num_keypoints, bool(info.reference_box)),
        metadata=tfds.core.MetadataDict(
            catalog_name=info.name, domain=info.domain, tasks=list(info.tasks),
            class_names=list(info.class_names),
            object_class_names=list(info.object_classes),
            ignore_label=info.ignore_label),
    )

  def manual_path(self, dl_manager, *parts: str, directory: bool = False) -> epath.Path:
    """`manual_dir/parts...`, which must exist (a directory if `directory`)."""
    path = epath.Path(dl_manager.manual_dir).joinpath(*parts)
    if not path.exists() or (directory and not path.is_dir()):
      raise DatasetFileError(path, 'not found' if not path.exists() else 'not a directory',
                             self.MANUAL_DOWNLOAD_INSTRUCTIONS)
    return path

  def example(self, image: np.ndarray, **annotations) -> dict:
    """`example(...)` with this dataset's ignore label and keypoint count."""
    info = self.dataset_info
    return example(image, ignore_label=info.ignore_label, num_keypoints=info.num_keypoints,
                   reference_box=bool(info.reference_box), **annotations)

  def fail(self, path, problem: str) -> DatasetFileError:
    """The error to raise for a malformed file (names it, gives the steps)."""
    return DatasetFileError(path, problem, self.MANUAL_DOWNLOAD_INSTRUCTIONS)


# ----------------------------------------------------------------- reading --

def _open(path, instructions: str, reader: Callable):
  path = epath.Path(path)
  if not path.exists():
    raise DatasetFileError(path, 'not found', instructions)
  try:
    return reader(path)
  except Exception as e:  # pylint: disable=broad-except
    raise DatasetFileError(path, f'cannot be read ({type(e).__name__}: {e})',
                           instructions) from e


def _pil(path: epath.Path) -> Image.Image:
  return _decode(path.read_bytes())


def _decode(data: bytes) -> Image.Image:
  image = Image.open(io.BytesIO(data))
  image.load()
  return image


_LABEL_MODES = ('L', 'P', 'I', 'I;16', 'I;16B', 'I;16L', '1')


def _rgb_array(image: Image.Image) -> np.ndarray:
  return np.asarray(image.convert('RGB'), np.uint8)


def _label_array(image: Image.Image) -> np.ndarray:
  if image.mode not in _LABEL_MODES:
    raise ValueError(f'expected a single-channel label image, got mode {image.mode}')
  return np.asarray(image).astype(np.int32)


def read_bytes(path, instructions: str) -> bytes:
  return _open(path, instructions, lambda p: p.read_bytes())


def read_text(path, instructions: str) -> str:
  return _open(path, instructions, lambda p: p.read_text())


def read_image(path, instructions: str) -> np.ndarray:
  """An image file as uint8 RGB [H, W, 3] (grey and palette converted)."""
  return _open(path, instructions, lambda p: _rgb_array(_pil(p)))


def read_labels(path, instructions: str) -> np.ndarray:
  """A single-channel label image (grey, 16-bit, or the indices of a palette
  PNG, not its colours) as a 2-D integer array."""
  return _open(path, instructions, lambda p: _label_array(_pil(p)))


def read_mat(path, instructions: str, variables: Sequence[str] = (), **loadmat_args) -> dict:
  """A MATLAB v5 file's variables (scipy.io.loadmat; `variables`, if given,
  are the only ones read and must all be there)."""
  from scipy import io as scipy_io  # pylint: disable=g-import-not-at-top
  data = read_bytes(path, instructions)
  if variables:
    loadmat_args['variable_names'] = list(variables)
  try:
    out = scipy_io.loadmat(io.BytesIO(data), **loadmat_args)
  except Exception as e:  # pylint: disable=broad-except
    raise DatasetFileError(path, f'is not a MATLAB v5 file ({type(e).__name__}: {e})',
                           instructions) from e
  missing = [v for v in variables if v not in out]
  if missing:
    raise DatasetFileError(path, f'has no variable {", ".join(missing)}', instructions)
  return out


@contextlib.contextmanager
def open_mat_v73(path, instructions: str):
  """A MATLAB v7.3 file (HDF5) open with h5py, read lazily: arrays come
  transposed (MATLAB is column-major)."""
  import h5py  # pylint: disable=g-import-not-at-top
  path = epath.Path(path)
  with _open(path, instructions, lambda p: p.open('rb')) as f:
    try:
      mat = h5py.File(f, 'r')
    except Exception as e:  # pylint: disable=broad-except
      raise DatasetFileError(path, f'is not a MATLAB v7.3 (HDF5) file ({type(e).__name__}: {e})',
                             instructions) from e
    with mat:
      yield mat


class ZipArchive:
  """A downloaded zip archive, read in place (no extraction).

  Members are found by regular expressions searched in their full names
  (write them as `(?:^|/)folder/...$` so that an archive that wraps its
  content in one more folder reads the same). An unreadable archive or
  member raises `DatasetFileError` naming it (as `archive.zip/member`).
  """

  def __init__(self, path, instructions: str):
    self.path = epath.Path(path)
    self._instructions = instructions
    self._file = _open(self.path, instructions, lambda p: p.open('rb'))
    try:
      self._zip = zipfile.ZipFile(self._file)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
      self._file.close()
      raise DatasetFileError(self.path, f'is not a readable zip archive ({type(e).__name__}: {e})',
                             instructions) from e

  def __enter__(self):
    return self

  def __exit__(self, *exc):
    self._zip.close()
    self._file.close()

  def names(self) -> list[str]:
    """The names of the files (not folders) in the archive."""
    return [name for name in self._zip.namelist() if not name.endswith('/')]

  def index(self, pattern: str) -> dict[tuple[str, ...], str]:
    """{match groups: member name} of the files whose names match `pattern`."""
    regex = re.compile(pattern)
    return {match.groups(): name for name in self.names()
            if (match := regex.search(name))}

  def member(self, name: str) -> epath.Path:
    """How errors name a member: the archive path joined with it."""
    return self.path / name

  def read(self, name: str) -> bytes:
    try:
      return self._zip.read(name)
    except KeyError as e:
      raise DatasetFileError(self.path, f'has no member {name}', self._instructions) from e
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as e:
      raise DatasetFileError(self.member(name), f'cannot be read ({type(e).__name__}: {e})',
                             self._instructions) from e

  def _image(self, name: str, convert):
    data = self.read(name)
    try:
      return convert(_decode(data))
    except Exception as e:  # pylint: disable=broad-except
      raise DatasetFileError(self.member(name), f'cannot be read ({type(e).__name__}: {e})',
                             self._instructions) from e

  def image(self, name: str) -> np.ndarray:
    """An image member as uint8 RGB [H, W, 3]."""
    return self._image(name, _rgb_array)

  def labels(self, name: str) -> np.ndarray:
    """A single-channel label image member (grey, 16-bit or palette indices)."""
    return self._image(name, _label_array)

  def check_size(self, name: str, labels: np.ndarray, image: np.ndarray):
    if labels.shape[:2] != image.shape[:2]:
      raise DatasetFileError(
          self.member(name), f'is {labels.shape[0]}x{labels.shape[1]} pixels, its image '
          f'{image.shape[0]}x{image.shape[1]}', self._instructions)


def read_color_labels(path, colors: Mapping[tuple[int, int, int], int],
                      ignore_label: int, instructions: str) -> np.ndarray:
  """An RGB colour-coded label image -> class ids; colours not in `colors`
  become `ignore_label`."""
  rgb = read_image(path, instructions).astype(np.int32)
  return colors_to_ids(rgb, colors, ignore_label)


def colors_to_ids(rgb: np.ndarray, colors: Mapping[tuple[int, int, int], int],
                  ignore_label: int) -> np.ndarray:
  codes = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
  keys = np.array([(r << 16) | (g << 8) | b for r, g, b in colors], np.int64)
  values = np.array(list(colors.values()), np.int64)
  order = np.argsort(keys)
  keys, values = keys[order], values[order]
  pos = np.clip(np.searchsorted(keys, codes), 0, len(keys) - 1)
  return np.where(keys[pos] == codes, values[pos], ignore_label).astype(np.int32)


def remap(labels: np.ndarray, mapping: Mapping[int, int] | Sequence[int],
          ignore_label: int) -> np.ndarray:
  """Maps raw label values to class ids; values without a mapping (and
  negative ones) become `ignore_label`."""
  if isinstance(mapping, Mapping):
    table = np.full(max(max(mapping, default=0), int(labels.max(initial=0))) + 1,
                    ignore_label, np.int64)
    for raw, cls in mapping.items():
      table[raw] = cls
  else:
    table = np.asarray(mapping, np.int64)
    if labels.size and labels.max() >= len(table):
      table = np.concatenate([table, np.full(labels.max() + 1 - len(table), ignore_label)])
  out = table[np.clip(labels, 0, None)]
  return np.where(labels < 0, ignore_label, out).astype(np.int32)


# --------------------------------------------------------------- examples --

def example(image: np.ndarray, *, ignore_label: int, num_keypoints: int,
            reference_box: bool = False,
            segmentation: np.ndarray | None = None,
            depth: np.ndarray | None = None,
            instances: np.ndarray | None = None,
            boxes: np.ndarray | None = None,
            labels: Iterable[int] | None = None,
            keypoints: np.ndarray | None = None,
            is_crowd: Iterable[bool] | None = None,
            reference_boxes: np.ndarray | None = None) -> dict:
  """One example in the format of `features.py`, from pixel-unit annotations.

  Args:
    image: uint8 [H, W, 3].
    segmentation: [H, W] class ids (ignore label on void).
    depth: [H, W] metres, 0 = invalid.
    instances: [H, W], i + 1 on the pixels of object i, 0 elsewhere.
    boxes: [N, 4] pixel (x0, y0, x1, y1) in continuous coordinates: the
      image spans [0, W] x [0, H], so pixel column c covers [c, c + 1)
      (COCO's convention; a box over columns c0..c1 is x0=c0, x1=c1 + 1).
    labels: [N] object class ids.
    keypoints: [N, K, 3] (x, y, visibility) with x, y pixel *indices*
      (COCO's and MPII's convention: the centre of pixel c is c + 0.5 here)
      and COCO visibility (0 = not labelled, 1 = occluded, 2 = visible).
    is_crowd: [N]; default all False.
    reference_boxes: [N, 4] pixel (x0, y0, x1, y1) as `boxes`, zero for an
      object without one; only with `reference_box` (the dataset stores them),
      where they default to all zero.
  """
  if reference_boxes is not None and not reference_box:
    raise ValueError('reference_boxes given, but the dataset stores none (reference_box).')
  height, width = image.shape[:2]
  out = features.empty_annotations(height, width, num_keypoints, ignore_label, reference_box)
  out['image'] = np.asarray(image, np.uint8)
  for key, value in (('segmentation', segmentation), ('instances', instances)):
    if value is not None:
      _check_hw(key, value, height, width)
      out[key] = np.asarray(value).astype(np.uint16)[..., None]
      out[f'has_{key}'] = True
  if depth is not None:
    _check_hw('depth', depth, height, width)
    depth = np.asarray(depth, np.float32)
    out['depth'] = np.where(np.isfinite(depth) & (depth > 0), depth, 0)[..., None]
    out['has_depth'] = True
  if boxes is not None or keypoints is not None:
    num = len(boxes if boxes is not None else keypoints)
    objects = out['objects']
    objects['label'] = np.asarray(list(labels), np.int64).reshape(num)
    objects['is_crowd'] = (np.zeros(num, np.bool_) if is_crowd is None
                           else np.asarray(list(is_crowd), np.bool_).reshape(num))
    scale = np.array([width, height], np.float32)
    if boxes is not None:
      objects['bbox'] = _normalised_boxes(boxes, num, scale)
      out['has_boxes'] = True
    else:
      objects['bbox'] = np.zeros((num, 4), np.float32)
    if reference_box:
      objects['reference_box'] = (np.zeros((num, 4), np.float32) if reference_boxes is None
                                  else _normalised_boxes(reference_boxes, num, scale))
    if keypoints is not None:
      k = np.asarray(keypoints, np.float32).reshape(num, num_keypoints, 3)
      xy = (k[..., :2] + 0.5) / scale
      visible = (k[..., 2] > 0) & np.all((xy >= 0) & (xy <= 1), -1)
      yx = np.where(visible[..., None], xy[..., ::-1], 0)
      objects['keypoints'] = np.concatenate(
          [yx, np.where(visible, k[..., 2], 0)[..., None]], -1).astype(np.float32)
      out['has_keypoints'] = True
    elif num_keypoints:
      objects['keypoints'] = np.zeros((num, num_keypoints, 3), np.float32)
  return out


def _normalised_boxes(boxes, num: int, scale) -> np.ndarray:
  """Pixel (x0, y0, x1, y1) -> normalised (ymin, xmin, ymax, xmax), clipped."""
  b = np.asarray(boxes, np.float32).reshape(num, 4)
  xy0, xy1 = np.clip(b[:, :2] / scale, 0, 1), np.clip(b[:, 2:] / scale, 0, 1)
  return np.stack([xy0[:, 1], xy0[:, 0], xy1[:, 1], xy1[:, 0]], -1)


def _check_hw(key, value, height, width):
  if np.shape(value)[:2] != (height, width):
    raise ValueError(f'{key} has shape {np.shape(value)}, the image '
                     f'{(height, width)}.')


def boxes_from_instances(instances: np.ndarray, count: int) -> np.ndarray:
  """Tight pixel boxes (x0, y0, x1, y1) of instance ids 1..count; empty
  instances get a zero box."""
  boxes = np.zeros((count, 4), np.float32)
  for i in range(count):
    rows, cols = np.nonzero(instances == i + 1)
    if rows.size:
      boxes[i] = cols.min(), rows.min(), cols.max() + 1, rows.max() + 1
  return boxes


def tiles(height: int, width: int, size: int, overlap: int,
          whole_if_smaller: bool = False) -> list[tuple[int, int, int, int]]:
  """Windows (y0, x0, y1, x1) of at most `size` x `size`, `overlap` pixels
  apart from their neighbours, covering the whole image; the last row and
  column of windows are moved back to end at the border (so they may
  overlap more), and images smaller than `size` give one window. With
  `whole_if_smaller`, an image under `size` on either side is one window
  (the paper's `create_patches`, factors_of_influence/preprocess)."""
  if whole_if_smaller and (height < size or width < size):
    return [(0, 0, height, width)]
  def starts(length):
    if length <= size:
      return [0]
    stride = size - overlap
    out = list(range(0, length - size, stride))
    return out + [length - size]
  return [(y, x, min(y + size, height), min(x + size, width))
          for y in starts(height) for x in starts(width)]
