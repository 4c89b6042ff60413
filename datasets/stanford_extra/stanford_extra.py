"""StanfordExtra (Biggs et al., ECCV 2020) in the project's example format.

Two configs read the Stanford Dogs images with two releases of the
annotations:

  v12: StanfordExtra v1.2 on its official train / val / test splits, with
       boxes and silhouettes (catalogue `stanford_extra`, our definition);
  foi: StanfordExtra v1 on the original Stanford Dogs train / test lists,
       as the Factors of Influence paper's builder defines it
       (catalogue `stanford_extra_foi`, at the end).

The v12 config reads
  * the Stanford Dogs images (images.tar, extracted:
    `Images/n02085620-Chihuahua/n02085620_10074.jpg`);
  * StanfordExtra v1.2 (stanfordextra_v12.zip from the authors' form):
    `StanfordExtra_v12.json`, a list of 12,538 entries {img_path,
    img_width, img_height, img_bbox [x0, y0, w, h], joints (24 x [x, y,
    visible]), seg (the `counts` string of a pycocotools compressed RLE of
    size [img_height, img_width]), is_multiple_dogs}, and the splits
    `{train,val,test}_stanford_StanfordExtra_v12.npy`, 1-D integer arrays of
    indices into that list (6,773 / 4,062 / 1,703).

Conventions:
  * Keypoints: the first 20 joints (keypoint_definitions.csv rows 0..19);
    rows 20..23 (eyes, withers, throat) are never labelled and are dropped.
    (x, y) are pixel positions from the top-left corner, taken as pixel
    indices (COCO's convention). Visibility: visible 1 -> 2 (visible);
    visible 0 with non-zero coordinates -> 1 (labelled, occluded); [0, 0, 0]
    and the placeholders with NaN coordinates -> 0 (not labelled).
  * One object per image (class 0, 'dog'): box `img_bbox` as continuous
    (x0, y0, x0 + w, y0 + h); `seg` decoded as its instance mask
    (`instances` = 1 on the dog). An empty `seg` string (no silhouette)
    leaves has_instances False. The RLE is decoded here, with checks that
    its runs cover exactly the image (pycocotools' `decode` writes past its
    buffer on a bad string). `is_multiple_dogs` (true for one image) is
    not used: the labelled dog is the only object.
  * Splits: the official train / val / test index files -> 'train',
    'validation', 'test'. Stanford Dogs images outside the JSON (about 8k of
    20,580) are not used.

The foi config follows the paper's builder,
`factors_of_influence/fids/stanford_dogs.py` (google-research/google-research),
which reads
  * `StanfordExtra_v1.json`, the original release (1 Sept 2020), in the
    manual dir itself: the same list of entries as v1.2 (img_path,
    img_width, img_height, img_bbox, joints, seg, is_multiple_dogs), with
    24 joints [x, y, visible] where an unlabelled joint is [0, 0, 0] (v1
    has no NaN placeholders) and rows 20..23 are always [0, 0, 0];
  * `train_list.mat` and `test_list.mat` of Stanford Dogs' lists.tar (also
    in the manual dir itself): MATLAB cell arrays `file_list` ([N, 1], each
    cell the path 'n02085620-Chihuahua/n02085620_5927.jpg' as in the
    JSON's img_path), `annotation_list` (the same without '.jpg') and
    `labels` ([N, 1], breeds 1..120), 12,000 and 8,580 images.
  Splits: 'train' and 'test' are the JSON entries whose img_path is in
  train_list.mat / test_list.mat; the paper's builder has no validation
  split, so `stanford_extra_foi` evaluates on 'test'. List images missing
  from the JSON are skipped, as the paper's builder does; an entry in
  neither list is a malformed file (the paper's builder stops there with a
  KeyError), and a repeated img_path keeps its last entry (its dict).
  Keypoints: the first 20 joints, converted as for v12; on v1's values
  ([0, 0, 0], [x, y, 0], [x, y, 1]) this is the paper's conversion
  (visibility + 1 where x or y is non-zero). Its builder normalises x / W
  where our format puts pixel index x at (x + 0.5) / W (the project's
  convention for every dataset), and stores points outside the image,
  which our format marks not labelled.
  Objects: the paper's builder stores no boxes (its features are image,
  keypoints and the breed as an image class, which our format has no
  field for); our keypoint task needs a box per object, so this config
  keeps `img_bbox` as v12 does. It reads no silhouettes (the paper's
  builder does not, and v1.2 says it fixed v1's compressed segmentations),
  so has_instances is False.
Not confirmed without the v1 file: its number of entries (the authors say
about 12k; v1.2 added the validation images v1 missed) and that its joints
match the samples of the StanfordExtra repository (StanfordExtra_sample.json,
24 joints, no NaN); the authors' form may now send only v1.2. The OKS sigmas
of both entries are ours (none are published).

TFDS's `stanford_dogs` builder reads the same images.tar but downloads it
and yields breed labels and the original Stanford Dogs boxes; its parsing
(archive iteration and XML boxes) does not apply to StanfordExtra's JSON, so
this builder reads the extracted images itself.
"""

import io
import json

import numpy as np
import tensorflow_datasets as tfds

from transfer.data import builders

JSON_FILE = 'StanfordExtra_v12.json'
# Folders (under manual_dir) where the zip's files may lie; the first is
# the documented one, '' is the manual dir itself.
ANNOTATION_FOLDERS = ('StanfordExtra_v12', 'StanfordExtra_V12', '')
SPLIT_FILES = {'train': 'train_stanford_StanfordExtra_v12.npy',
               'validation': 'val_stanford_StanfordExtra_v12.npy',
               'test': 'test_stanford_StanfordExtra_v12.npy'}
NUM_KEYPOINTS = 20
# foi: the original release and Stanford Dogs' lists, in the manual dir itself.
FOI_JSON_FILE = 'StanfordExtra_v1.json'
FOI_SPLIT_FILES = {'train': 'train_list.mat', 'test': 'test_list.mat'}


def rle_counts(counts: str) -> np.ndarray:
  """The run lengths of a pycocotools compressed RLE string (its
  `rleFrString`): 6-bit groups (char - 48), 5 value bits each, bit 0x20 =
  more groups, bit 0x10 of the last = negative; from the third run on, each
  value is a difference to the run two before."""
  runs, position = [], 0
  while position < len(counts):
    value, shift, more = 0, 0, True
    while more:
      if position >= len(counts):
        raise ValueError('RLE string ends inside a run')
      c = ord(counts[position]) - 48
      if not 0 <= c < 64:
        raise ValueError(f'RLE string has an invalid character {counts[position]!r}')
      value |= (c & 0x1f) << shift
      more = bool(c & 0x20)
      position += 1
      shift += 5
      if not more and c & 0x10:
        value |= -1 << shift
    if len(runs) > 2:
      value += runs[-2]
    runs.append(value)
  return np.array(runs, np.int64)


def decode_rle(counts: str, height: int, width: int) -> np.ndarray:
  """A compressed RLE string of a [height, width] mask -> uint8 mask;
  runs alternate 0 and 1 from 0, in column-major order."""
  runs = rle_counts(counts)
  if (runs < 0).any() or runs.sum() != height * width:
    raise ValueError(f'RLE runs cover {runs.sum()} pixels (some negative: '
                     f'{bool((runs < 0).any())}), not {height}x{width}')
  values = np.arange(runs.size, dtype=np.uint8) % 2
  return np.repeat(values, runs).reshape(width, height).T


def coco_keypoints(joints) -> np.ndarray:
  """StanfordExtra joints [>= 20, 3] -> [20, 3] (x, y, COCO visibility)."""
  joints = np.asarray(joints, np.float64)
  if joints.ndim != 2 or joints.shape[0] < NUM_KEYPOINTS or joints.shape[1] != 3:
    raise ValueError(f'joints has shape {joints.shape}, expected [24, 3]')
  joints = joints[:NUM_KEYPOINTS]
  finite = np.isfinite(joints).all(-1)
  joints = np.where(finite[:, None], joints, 0)
  labelled = finite & np.any(joints[:, :2] != 0, -1)
  visibility = np.where(labelled, np.where(joints[:, 2] > 0, 2, 1), 0)
  return np.concatenate([joints[:, :2] * labelled[:, None], visibility[:, None]],
                        -1).astype(np.float32)


class StanfordExtra(builders.ManualBuilder):
  """StanfordExtra: 20 keypoints, a box and (v12) the silhouette of a dog per image."""

  BUILDER_CONFIGS = [
      tfds.core.BuilderConfig(
          name='v12', description='StanfordExtra v1.2 on its train / val / test splits, '
          'with boxes and silhouettes.'),
      tfds.core.BuilderConfig(
          name='foi', description="StanfordExtra v1 on the Stanford Dogs train / test "
          "lists, as the FoI paper's builder (boxes, no silhouettes)."),
  ]
  CATALOG_NAMES = {'v12': 'stanford_extra', 'foi': 'stanford_extra_foi'}
  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  1. Images: images.tar (757 MB) of the Stanford Dogs dataset,
     http://vision.stanford.edu/aditya86/ImageNetDogs/
     (http://vision.stanford.edu/aditya86/ImageNetDogs/images.tar).
  2. Annotations: StanfordExtra v1.2, stanfordextra_v12.zip, from the link
     the authors email after their form (https://github.com/benjiebob/StanfordExtra,
     README). It holds StanfordExtra_v12.json and
     train_/val_/test_stanford_StanfordExtra_v12.npy (the split files are
     also in https://github.com/benjiebob/WLDO, data/StanfordExtra_v12/).
     For stanford_extra_foi instead: the original release,
     StanfordExtra_v1.json (same form), and lists.tar of Stanford Dogs
     (http://vision.stanford.edu/aditya86/ImageNetDogs/lists.tar), which
     holds train_list.mat and test_list.mat.
  3. Extract them so that these exist:
       tar xf images.tar -C <manual_dir>
         -> <manual_dir>/Images/n02085620-Chihuahua/n02085620_10074.jpg
       unzip stanfordextra_v12.zip, its four files into
         <manual_dir>/StanfordExtra_v12/StanfordExtra_v12.json
         <manual_dir>/StanfordExtra_v12/train_stanford_StanfordExtra_v12.npy
         <manual_dir>/StanfordExtra_v12/val_stanford_StanfordExtra_v12.npy
         <manual_dir>/StanfordExtra_v12/test_stanford_StanfordExtra_v12.npy
       (the four files are also found in <manual_dir>/StanfordExtra_V12/ or
       directly in <manual_dir>);
     for stanford_extra_foi, the images as above and
         <manual_dir>/StanfordExtra_v1.json
       tar xf lists.tar -C <manual_dir>
         -> <manual_dir>/train_list.mat, <manual_dir>/test_list.mat
  4. python -m transfer.data.build stanford_extra --manual_dir=<manual_dir>
     (or stanford_extra_foi).
  """

  def _split_generators(self, dl_manager):
    images = self.manual_path(dl_manager, 'Images', directory=True)
    if self.builder_config.name == 'foi':
      return self._foi_splits(dl_manager, images)
    folder = self._annotation_folder(dl_manager)
    json_path = folder / JSON_FILE
    entries = self.read_entries(json_path)
    return {split: self._generate_examples(
                images, json_path, entries, self.read_indices(folder / name, len(entries)))
            for split, name in SPLIT_FILES.items()}

  def _foi_splits(self, dl_manager, images):
    """The v1 entries by Stanford Dogs list: test_list.mat read last, so it
    wins an image in both, as in the paper's builder."""
    json_path = self.manual_path(dl_manager, FOI_JSON_FILE)
    entries = self.read_entries(json_path)
    index_of = {}  # img_path -> its last entry, as the paper's dict keeps.
    for index, entry in enumerate(entries):
      img_path = entry.get('img_path') if isinstance(entry, dict) else None
      if not isinstance(img_path, str):
        raise self.fail(json_path, f'entry {index} has no img_path string')
      index_of[img_path] = index
    split_of = {}
    for split, name in FOI_SPLIT_FILES.items():
      for img_path in self.read_file_list(self.manual_path(dl_manager, name)):
        if img_path in index_of:
          split_of[img_path] = split
    unlisted = [p for p in index_of if p not in split_of]
    if unlisted:
      raise self.fail(json_path, f'has entries whose image is in neither '
                      f'{" nor ".join(FOI_SPLIT_FILES.values())} ({len(unlisted)}, first '
                      f'{unlisted[0]!r}); the lists name every Stanford Dogs image')
    return {split: self._generate_examples(
                images, json_path, entries,
                [i for p, i in index_of.items() if split_of[p] == split], silhouettes=False)
            for split in FOI_SPLIT_FILES}

  def read_file_list(self, path) -> list[str]:
    """The image paths of a Stanford Dogs list (`file_list`, a cell array)."""
    cells = builders.read_mat(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS, ('file_list',))
    try:
      return [str(np.asarray(cell).reshape(-1)[0]) for cell in cells['file_list'].reshape(-1)]
    except (AttributeError, IndexError, TypeError) as e:
      raise self.fail(path, f'file_list is not a cell array of image paths '
                      f'({type(e).__name__}: {e})') from e

  def _annotation_folder(self, dl_manager):
    root = self.manual_path(dl_manager, directory=True)
    for name in ANNOTATION_FOLDERS:
      if (root / name / JSON_FILE).exists():
        return root / name
    raise builders.DatasetFileError(root / ANNOTATION_FOLDERS[0] / JSON_FILE, 'not found',
                                    self.MANUAL_DOWNLOAD_INSTRUCTIONS)

  def read_entries(self, path) -> list:
    text = builders.read_text(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS)
    try:
      entries = json.loads(text)  # Accepts the NaN placeholders of v1.2.
    except ValueError as e:
      raise self.fail(path, f'is not valid JSON ({e})') from e
    if not isinstance(entries, list):
      raise self.fail(path, f'holds a {type(entries).__name__}, not a list of entries')
    return entries

  def read_indices(self, path, count: int) -> np.ndarray:
    data = builders.read_bytes(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS)
    try:
      indices = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as e:  # pylint: disable=broad-except
      raise self.fail(path, f'is not a .npy array of indices ({type(e).__name__}: {e})') from e
    if indices.ndim != 1 or indices.dtype.kind not in 'iuf':
      raise self.fail(path, f'holds a {indices.dtype} array of shape {indices.shape}, '
                      'not a 1-D array of indices')
    if indices.dtype.kind == 'f' and not np.all(indices == np.round(indices)):
      raise self.fail(path, 'holds non-integer indices')
    indices = indices.astype(np.int64)
    if indices.size and (indices.min() < 0 or indices.max() >= count):
      raise self.fail(path, f'has indices outside 0..{count - 1} (the JSON has '
                      f'{count} entries)')
    return indices

  def _generate_examples(self, images, json_path, entries, indices, silhouettes=True):
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    for index in indices:
      entry = entries[index]
      try:
        img_path = entry['img_path']
        height, width = int(entry['img_height']), int(entry['img_width'])
        x0, y0, w, h = (float(v) for v in entry['img_bbox'])
        keypoints = coco_keypoints(entry['joints'])
        seg = entry.get('seg', '') if silhouettes else ''
        if not isinstance(seg, str):
          raise ValueError(f'seg is a {type(seg).__name__}, not an RLE string')
      except (KeyError, TypeError, ValueError) as e:
        raise self.fail(json_path, f'entry {index} is malformed ({type(e).__name__}: {e})') from e
      image_path = images / img_path
      image = builders.read_image(image_path, steps)
      if image.shape[:2] != (height, width):
        raise self.fail(image_path, f'is {image.shape[1]}x{image.shape[0]} but entry '
                        f'{index} of {json_path.name} says {width}x{height}')
      try:
        mask = decode_rle(seg, height, width) if seg else None
      except ValueError as e:
        raise self.fail(json_path, f'entry {index} has a bad seg RLE ({e})') from e
      yield img_path.rsplit('.', 1)[0], self.example(
          image, boxes=[[x0, y0, x0 + w, y0 + h]], labels=[0],
          keypoints=keypoints[None],
          instances=mask)
