"""MPII Human Pose (Andriluka et al., CVPR 2014) in the project's example format.

Reads the official release, extracted:
  * `images/<9 digits>.jpg` from mpii_human_pose_v1.tar.gz;
  * `mpii_human_pose_v1_u12_2/mpii_human_pose_v1_u12_1.mat` from
    mpii_human_pose_v1_u12_2.zip: a MATLAB v5 file holding the struct
    `RELEASE` with `annolist(imgidx)` (`.image.name`, `.annorect(ridx)`,
    `.vididx`), `img_train(imgidx)` and `single_person`, `act`,
    `video_list` (not used here).

Each `annorect` is one person: `x1, y1, x2, y2` (head box),
`annopoints.point(pidx)` with `x, y, id, is_visible` (joint id 0..15, the
catalogue's keypoint order), `scale` (person height / 200 px) and `objpos`
(rough body centre). The struct's quirks handled here: fields a person (or a
whole image) lacks are missing or empty; `annopoints` is empty for people
whose joints were not annotated; `is_visible` is a number, a one-character
string ('0'/'1') or empty; a struct array of one element is a scalar after
loading.

Conventions:
  * MATLAB coordinates are 1-based: joint (x, y) becomes the 0-based pixel
    index (x - 1, y - 1); a head box's corners are 1-based pixel indices, so
    it covers continuous [x1 - 1, x2] x [y1 - 1, y2].
  * Visibility (COCO's): is_visible 1 -> 2 (visible), 0 -> 1 (labelled,
    occluded), empty -> 1 (labelled, visibility not given). Joints absent
    from `point` are 0 (not labelled); joints outside the image become 0
    when the example is made.
  * Objects (class 0, 'person'): every annotated person, with a box that is
    the union of its labelled joints (each joint's pixel) and its head box,
    clipped to the image. MPII has no person boxes; these are only an
    extent for crops and OKS areas. People with `objpos` and `scale` but no
    joints are crowd objects (ignored in training targets and in COCO
    evaluation) with a square box of side 200 * scale around `objpos`, so a
    detector is not penalised for finding them. The head boxes needed for
    MPII's PCKh have no place in the example format and are not stored.
  * Only `img_train == 1` images have public annotations (the test set's
    are withheld); images among them with no annotated joints are skipped.

Splits: the official `img_train` set, divided by video (`vididx`; the
image's name where it has none) so that frames of one YouTube video never
straddle the split: a video goes to 'validation' when the first 8 hex digits
of md5('mpii-val:<video>') are 0 mod 6, about 1/6 of the images (Tompson et
al.'s 2958-image validation set needs a file the official release does not
ship). The rest is 'train'.

TFDS ships no MPII builder, so nothing is built on.
"""

import hashlib

import numpy as np
import tensorflow_datasets as tfds

from transfer.data import builders

NUM_JOINTS = 16
MAT_FOLDER = 'mpii_human_pose_v1_u12_2'
MAT_FILE = 'mpii_human_pose_v1_u12_1.mat'
VAL_MODULUS = 6


def validation_group(group: str) -> bool:
  """Whether the images of `group` (a video or image) are in 'validation'."""
  digest = hashlib.md5(f'mpii-val:{group}'.encode()).hexdigest()
  return int(digest[:8], 16) % VAL_MODULUS == 0


def _items(value) -> list:
  """The elements of a (squeezed) MATLAB struct array or cell: [] if empty."""
  if isinstance(value, np.ndarray):
    return list(value.ravel())
  return [value]


def _number(value) -> float | None:
  """A MATLAB scalar (number or one-number string) as float; None if empty."""
  if value is None:
    return None
  array = np.asarray(value).ravel()
  if array.size == 0:
    return None
  if array.size != 1:
    raise ValueError(f'expected one value, got {array.size}')
  item = array[0]
  if isinstance(item, (str, bytes, np.str_, np.bytes_)):
    item = item.strip()
    if not item:
      return None
  return float(item)


def _field(struct, name):
  return getattr(struct, name, None) if struct is not None else None


def _struct(value):
  """A 1x1 struct field (loaded as a scalar mat_struct); None when empty."""
  items = _items(value) if value is not None else []
  if len(items) > 1:
    raise ValueError(f'expected one struct, got {len(items)}')
  return items[0] if items else None


class MpiiHumanPose(builders.ManualBuilder):
  """MPII Human Pose: 16 body joints of the people in everyday photos."""

  CATALOG_NAME = 'mpii'
  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  1. From the MPII Human Pose page (http://human-pose.mpi-inf.mpg.de/,
     "Download"), get
       mpii_human_pose_v1.tar.gz (images, about 12.9 GB):
         https://datasets.d2.mpi-inf.mpg.de/andriluka14cvpr/mpii_human_pose_v1.tar.gz
       mpii_human_pose_v1_u12_2.zip (annotations, about 12.5 MB):
         https://datasets.d2.mpi-inf.mpg.de/andriluka14cvpr/mpii_human_pose_v1_u12_2.zip
  2. Extract both into the manual dir:
       tar xzf mpii_human_pose_v1.tar.gz -C <manual_dir>
       unzip mpii_human_pose_v1_u12_2.zip -d <manual_dir>
     so that these exist:
       <manual_dir>/images/000001163.jpg
       <manual_dir>/mpii_human_pose_v1_u12_2/mpii_human_pose_v1_u12_1.mat
  3. python -m transfer.data.build mpii --manual_dir=<manual_dir>
  """

  def _split_generators(self, dl_manager):
    images = self.manual_path(dl_manager, 'images', directory=True)
    mat_path = self.manual_path(dl_manager, MAT_FOLDER, MAT_FILE)
    records = self.read_annotations(mat_path)
    splits = {'train': [], 'validation': []}
    for record in records:
      split = 'validation' if validation_group(record['group']) else 'train'
      splits[split].append(record)
    return {split: self._generate_examples(images, items)
            for split, items in splits.items()}

  def _generate_examples(self, images, records):
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    for record in records:
      image = builders.read_image(images / record['name'], steps)
      people = record['people']
      boxes = np.array([p['box'] for p in people], np.float32).reshape(-1, 4)
      keypoints = np.stack([p['keypoints'] for p in people]).astype(np.float32)
      yield record['name'].rsplit('.', 1)[0], self.example(
          image, boxes=boxes, labels=[0] * len(people), keypoints=keypoints,
          is_crowd=[p['crowd'] for p in people])

  # ------------------------------------------------------------- parsing --

  def read_annotations(self, path) -> list[dict]:
    """The annotated `img_train` images of the .mat file, as dicts with
    `name`, `group` (split unit) and `people` (`keypoints` [16, 3] 0-based
    (x, y, COCO visibility), `box` (x0, y0, x1, y1) unclipped, `crowd`)."""
    mat = builders.read_mat(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS,
                            struct_as_record=False, squeeze_me=True)
    release = mat.get('RELEASE')
    if release is None or not all(hasattr(release, f) for f in ('annolist', 'img_train')):
      raise self.fail(path, 'has no struct RELEASE with fields annolist and img_train')
    annolist = _items(release.annolist)
    img_train = np.asarray(release.img_train).ravel()
    if len(annolist) != img_train.size:
      raise self.fail(path, f'RELEASE.annolist has {len(annolist)} entries but '
                      f'RELEASE.img_train {img_train.size}')
    records = []
    for index, (entry, train) in enumerate(zip(annolist, img_train)):
      if not train:
        continue
      try:
        record = self._parse_image(entry)
      except (ValueError, TypeError, AttributeError) as e:
        raise self.fail(path, f'RELEASE.annolist({index + 1}) is malformed: {e}') from e
      if any(not person['crowd'] for person in record['people']):
        records.append(record)
    return records

  def _parse_image(self, entry) -> dict:
    image = _struct(_field(entry, 'image'))
    name = _field(image, 'name')
    if not isinstance(name, str) or not name:
      raise ValueError('no image.name')
    vididx = _number(_field(entry, 'vididx'))
    group = f'video{int(vididx)}' if vididx is not None else name
    annorect = _field(entry, 'annorect')
    people = []
    for ridx, rect in enumerate(_items(annorect) if annorect is not None else []):
      try:
        person = self._parse_person(rect)
      except (ValueError, TypeError, AttributeError) as e:
        raise ValueError(f'annorect({ridx + 1}): {e}') from e
      if person is not None:
        people.append(person)
    return {'name': name, 'group': group, 'people': people}

  def _parse_person(self, rect) -> dict | None:
    keypoints = np.zeros((NUM_JOINTS, 3), np.float32)
    annopoints = _struct(_field(rect, 'annopoints'))
    points = _field(annopoints, 'point')
    for point in _items(points) if points is not None else []:
      joint, x, y = (_number(_field(point, f)) for f in ('id', 'x', 'y'))
      if joint is None or x is None or y is None:
        raise ValueError('a point lacks id, x or y')
      if joint != int(joint) or not 0 <= joint < NUM_JOINTS:
        raise ValueError(f'joint id {joint} is not in 0..{NUM_JOINTS - 1}')
      if not (np.isfinite(x) and np.isfinite(y)):
        continue
      visible = _number(_field(point, 'is_visible'))
      if visible not in (None, 0, 1):
        raise ValueError(f'is_visible {visible} is not 0, 1 or empty')
      keypoints[int(joint)] = x - 1, y - 1, 2 if visible == 1 else 1
    labelled = keypoints[:, 2] > 0
    if labelled.any():
      xy = keypoints[labelled, :2]
      box = [*map(float, xy.min(0)), *map(float, xy.max(0) + 1)]
      head = [_number(_field(rect, f)) for f in ('x1', 'y1', 'x2', 'y2')]
      if all(v is not None and np.isfinite(v) for v in head):
        x1, y1, x2, y2 = head
        box = [min(box[0], x1 - 1, x2 - 1), min(box[1], y1 - 1, y2 - 1),
               max(box[2], x1, x2), max(box[3], y1, y2)]
      return {'keypoints': keypoints, 'box': box, 'crowd': False}
    objpos = _struct(_field(rect, 'objpos'))
    scale = _number(_field(rect, 'scale'))
    cx, cy = _number(_field(objpos, 'x')), _number(_field(objpos, 'y'))
    if scale is None or cx is None or cy is None or not scale > 0:
      return None  # No joints and no position: nothing to use.
    half = 100 * scale
    cx, cy = cx - 0.5, cy - 0.5  # Centre of 1-based pixel (cx, cy).
    return {'keypoints': keypoints, 'crowd': True,
            'box': [cx - half, cy - half, cx + half, cy + half]}
