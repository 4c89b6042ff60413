"""MPII Human Pose (Andriluka et al., CVPR 2014) in the project's example format.

Reads the official release, extracted:
  * `images/<9 digits>.jpg` from mpii_human_pose_v1.tar.gz;
  * `mpii_human_pose_v1_u12_2/mpii_human_pose_v1_u12_1.mat` from
    mpii_human_pose_v1_u12_2.zip: a MATLAB v5 file holding the struct
    `RELEASE` with `annolist(imgidx)` (`.image.name`, `.annorect(ridx)`;
    `.vididx` not used), `img_train(imgidx)` and `single_person`, `act`,
    `video_list` (not used here);
  * `annot/valid.json`, the validation split (below).

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
    detector is not penalised for finding them.
  * Reference boxes (`objects/reference_box`, the catalogue's
    reference_box='head'): each person's head box from corner pixel to corner
    pixel, [x1 - 1, x2 - 1] x [y1 - 1, y2 - 1], so that its diagonal is MPII's
    norm((x2 - x1, y2 - y1)), the scale of PCKh (clipped to the image like
    every box: a head crossing the border gets a shorter diagonal than the
    MPII evaluation's). Zero for
    crowd objects and, in 'validation', for the people outside the list
    below, so that PCKh counts exactly the literature's persons; those people
    stay objects for OKS AP.
  * Only `img_train == 1` images have public annotations (the test set's
    are withheld); images among them with no annotated joints are skipped.

Splits: the validation set of the MPII literature, Tompson et al. (CVPR
2015)'s 2958 persons, which the official release does not define. Their
own file (mpii_valid_pred.zip: RELEASE_img_index, RELEASE_person_index)
was hosted at cims.nyu.edu; what users download is the JSON list HRNet and
SimpleBaseline distribute as `annot/valid.json` (mmpose ships the same
format as `mpii_val.json`; that its content is the same list was not
compared). Its entries are `image` (file name), `joints` [16, 2] in the
.mat's 1-based pixels with [-1, -1] for a joint not annotated,
`joints_vis` [16] (1 = labelled, not is_visible: HRNet's entry for
015601864.jpg has 1 where the .mat's is_visible is 0), and `center`
(objpos) and `scale` as in the .mat, unadjusted (loaders add their own
crop margins). It names no annorect, so each entry is matched to the
person of its image whose joints equal its labelled joints (within 0.01
px: published sample entries have at most 4 decimals); an entry that matches none is an
error. 'validation' = the images holding a listed person, all their
people as objects; 'train' = every other annotated `img_train` image. No
image is in both: HRNet's train.json (22246 persons) and valid.json have
the counts of bearpaw/pytorch-pose's gen_mpii.m, which drops from training
every image holding a validation person (Tompson's split itself and the
CPM json, 25925 training persons, do not). The split is not by video:
frames of one YouTube video can be on both sides. Not confirmed without
the real files: that all 2958 entries match an annorect of
mpii_human_pose_v1_u12_1.mat, the number of validation images, and that
the non-crowd people of 'train' are then exactly train.json's persons.

TFDS ships no MPII builder, so nothing is built on.
"""

import json

import numpy as np
import tensorflow_datasets as tfds

from transfer.data import builders

NUM_JOINTS = 16
MAT_FOLDER = 'mpii_human_pose_v1_u12_2'
MAT_FILE = 'mpii_human_pose_v1_u12_1.mat'
VALID_FOLDER = 'annot'
VALID_FILE = 'valid.json'
# Largest joint difference (px) between a valid.json entry and its annorect.
MATCH_TOLERANCE = 0.01


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
  VERSION = tfds.core.Version('2.0.0')
  RELEASE_NOTES = {
      '1.0.0': 'Initial release.',
      '2.0.0': "Tompson et al.'s validation split (HRNet's valid.json); head boxes stored.",
  }
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
  3. Get the validation split (Tompson et al. 2015, 2958 persons): HRNet's
     converted MPII annotations, linked from the "Data preparation" step of
     https://github.com/leoxiaobin/deep-high-resolution-net.pytorch
     (OneDrive https://1drv.ms/f/s!AhIXJn_J-blW00SqrairNetmeVu4 or Google
     Drive https://drive.google.com/drive/folders/1En_VqmStnsXMdldXA6qpqEyDQulnmS3a),
     hold it as annot/valid.json: copy that file to
     <manual_dir>/annot/valid.json. (Or extract mmpose's
     https://download.openmmlab.com/mmpose/datasets/mpii_annotations.tar
     and copy its mpii_val.json, the same format, to
     <manual_dir>/annot/valid.json.)
     These must then exist:
       <manual_dir>/images/000001163.jpg
       <manual_dir>/mpii_human_pose_v1_u12_2/mpii_human_pose_v1_u12_1.mat
       <manual_dir>/annot/valid.json
  4. python -m transfer.data.build mpii --manual_dir=<manual_dir>
  """

  def _split_generators(self, dl_manager):
    images = self.manual_path(dl_manager, 'images', directory=True)
    mat_path = self.manual_path(dl_manager, MAT_FOLDER, MAT_FILE)
    valid_path = self.manual_path(dl_manager, VALID_FOLDER, VALID_FILE)
    records = self.read_annotations(mat_path)
    listed = self.read_validation(valid_path, records)
    splits = {'train': [], 'validation': []}
    for record in records:
      if record['name'] in listed:
        people = [p if i in listed[record['name']] else {**p, 'head': None}
                  for i, p in enumerate(record['people'])]
        splits['validation'].append({**record, 'people': people})
      else:
        splits['train'].append(record)
    return {split: self._generate_examples(images, items)
            for split, items in splits.items()}

  def _generate_examples(self, images, records):
    steps = self.MANUAL_DOWNLOAD_INSTRUCTIONS
    for record in records:
      image = builders.read_image(images / record['name'], steps)
      people = record['people']
      boxes = np.array([p['box'] for p in people], np.float32).reshape(-1, 4)
      keypoints = np.stack([p['keypoints'] for p in people]).astype(np.float32)
      heads = np.array([p['head'] or [0] * 4 for p in people], np.float32).reshape(-1, 4)
      yield record['name'].rsplit('.', 1)[0], self.example(
          image, boxes=boxes, labels=[0] * len(people), keypoints=keypoints,
          is_crowd=[p['crowd'] for p in people], reference_boxes=heads)

  # ------------------------------------------------------------- parsing --

  def read_validation(self, path, records: list[dict]) -> dict[str, set[int]]:
    """{image name: indices into its record's `people`} of the persons that
    valid.json lists, each matched to a person of the .mat by its joints."""
    try:
      entries = json.loads(builders.read_text(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS))
    except json.JSONDecodeError as e:
      raise self.fail(path, f'is not valid JSON ({e})') from e
    if not isinstance(entries, list):
      raise self.fail(path, 'is not a JSON list of persons')
    by_name = {record['name']: record for record in records}
    listed = {}
    for index, entry in enumerate(entries):
      try:
        name = entry['image']
        joints = np.asarray(entry['joints'], np.float64).reshape(NUM_JOINTS, 2)
        labelled = np.asarray(entry['joints_vis'], np.float64).reshape(NUM_JOINTS) > 0
      except (KeyError, TypeError, ValueError) as e:
        raise self.fail(path, f'entry {index} lacks image, joints or joints_vis '
                        f'of {NUM_JOINTS} joints ({type(e).__name__}: {e})') from e
      if not isinstance(name, str) or name not in by_name:
        raise self.fail(path, f'entry {index}: {name!r} is not an annotated training image '
                        f'of {MAT_FILE}')
      person = _matching_person(by_name[name]['people'], joints, labelled)
      if person is None:
        raise self.fail(path, f'entry {index} ({name}): no person of {MAT_FILE} has its '
                        'joints')
      listed.setdefault(name, set()).add(person)
    return listed

  def read_annotations(self, path) -> list[dict]:
    """The annotated `img_train` images of the .mat file, as dicts with
    `name` and `people` (`keypoints` [16, 3] 0-based (x, y, COCO
    visibility), `box` and `head` (x0, y0, x1, y1; `head` None if the person
    has none) unclipped, `crowd`)."""
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
    annorect = _field(entry, 'annorect')
    people = []
    for ridx, rect in enumerate(_items(annorect) if annorect is not None else []):
      try:
        person = self._parse_person(rect)
      except (ValueError, TypeError, AttributeError) as e:
        raise ValueError(f'annorect({ridx + 1}): {e}') from e
      if person is not None:
        people.append(person)
    return {'name': name, 'people': people}

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
      corners = [_number(_field(rect, f)) for f in ('x1', 'y1', 'x2', 'y2')]
      head = None
      if all(v is not None and np.isfinite(v) for v in corners):
        x1, y1, x2, y2 = corners
        # Between the corner pixels, 0-based: its diagonal is the one MPII's
        # evaluation measures, norm((x2 - x1, y2 - y1)).
        head = [min(x1, x2) - 1, min(y1, y2) - 1, max(x1, x2) - 1, max(y1, y2) - 1]
        box = [min(box[0], head[0]), min(box[1], head[1]),
               max(box[2], head[2] + 1), max(box[3], head[3] + 1)]
      return {'keypoints': keypoints, 'box': box, 'head': head, 'crowd': False}
    objpos = _struct(_field(rect, 'objpos'))
    scale = _number(_field(rect, 'scale'))
    cx, cy = _number(_field(objpos, 'x')), _number(_field(objpos, 'y'))
    if scale is None or cx is None or cy is None or not scale > 0:
      return None  # No joints and no position: nothing to use.
    half = 100 * scale
    cx, cy = cx - 0.5, cy - 0.5  # Centre of 1-based pixel (cx, cy).
    return {'keypoints': keypoints, 'crowd': True, 'head': None,
            'box': [cx - half, cy - half, cx + half, cy + half]}


def _matching_person(people: list[dict], joints: np.ndarray, labelled: np.ndarray) -> int | None:
  """The index of the non-crowd person whose labelled joints include and
  equal `joints[labelled]` (1-based, within MATCH_TOLERANCE); the closest if
  several do, None if none does or nothing is labelled."""
  best, best_error = None, MATCH_TOLERANCE
  for index, person in enumerate(people):
    keypoints = person['keypoints']
    if person['crowd'] or not labelled.any() or not (keypoints[labelled, 2] > 0).all():
      continue
    error = np.abs(keypoints[labelled, :2] + 1 - joints[labelled]).max()
    if error <= best_error:
      best, best_error = index, error
  return best
