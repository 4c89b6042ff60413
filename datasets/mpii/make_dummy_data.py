"""Writes dummy_data/: a tiny MPII Human Pose release in the real layout.

  images/<9 digits>.jpg                         (as in mpii_human_pose_v1.tar.gz)
  mpii_human_pose_v1_u12_2/mpii_human_pose_v1_u12_1.mat   (MATLAB v5 struct
      RELEASE: annolist, img_train, version, single_person, act, video_list)
  annot/valid.json                              (HRNet's validation list)

Its quirks, as in the real file: 1-based coordinates; struct arrays whose
field sets differ between images (test images and some training images have
only scale/objpos); a person with an empty `annopoints`; `is_visible` as a
number, a string and empty, and missing from one image's points; a joint
outside the image; an image without `vididx`; a test image; an image with no
people.

valid.json lists two persons in HRNet's format: 1-based joints equal
to the .mat's, [-1, -1] and joints_vis 0 where a joint is not annotated,
joints_vis 1 for occluded joints, center = objpos, scale as in the .mat.

Splits (see mpii.py): the images of the listed persons -> validation
(015601864 person 1, with a crowd person; 005808361 person 1, whose other
person is not listed); the other annotated images -> train (015599452,
037454012); 052475643 (no joints), 060111501 (no people) and 070807258
(test) are skipped.

  python datasets/mpii/make_dummy_data.py
"""

import json
import pathlib

import numpy as np
from PIL import Image
import scipy.io

ROOT = pathlib.Path(__file__).parent / 'dummy_data'
HEIGHT, WIDTH = 40, 48
EMPTY = np.zeros((0, 0))


def struct_array(records: list[dict], fields: tuple[str, ...]) -> np.ndarray:
  """A 1xN MATLAB struct array; fields a record lacks are empty ([])."""
  out = np.empty((1, len(records)), dtype=[(f, object) for f in fields])
  for i, record in enumerate(records):
    for f in fields:
      out[0, i][f] = record.get(f, EMPTY)
  return out


def cell(values: list) -> np.ndarray:
  """An Nx1 MATLAB cell array."""
  out = np.empty((len(values), 1), dtype=object)
  for i, value in enumerate(values):
    out[i, 0] = value
  return out


def points(*joints) -> dict:
  """annopoints: a 1x1 struct whose `point` is a 1xP struct array of
  (id, x, y, is_visible); is_visible None = field missing in this image."""
  fields = ('x', 'y', 'id') + (('is_visible',) if joints[0][3] is not None else ())
  records = [dict(x=float(x), y=float(y), id=float(j), is_visible=v)
             for j, x, y, v in joints]
  return {'point': struct_array(records, fields)}


PERSON = ('x1', 'y1', 'x2', 'y2', 'annopoints', 'scale', 'objpos')
TEST_PERSON = ('scale', 'objpos')

# (name, img_train, vididx or None, annorect struct array or [] )
IMAGES = (
    # Validation: a listed person and one without joints (crowd).
    ('015601864.jpg', 1, 6, struct_array([
        dict(x1=20., y1=3., x2=27., y2=10.,
             annopoints=points((9, 24, 4, 1.),      # head top, visible (number)
                               (8, 24, 11, '1'),    # upper neck, visible (string)
                               (12, 20, 14, '0'),   # r shoulder, occluded (string)
                               (13, 29, 14, 0.),    # l shoulder, occluded (number)
                               (0, 21, 36, EMPTY)),  # r ankle, is_visible empty
             scale=0.2, objpos={'x': 25., 'y': 20.}),
        dict(x1=40., y1=5., x2=44., y2=9., annopoints=EMPTY,
             scale=0.1, objpos={'x': 42., 'y': 18.}),
    ], PERSON)),
    # Train (same video as the image above).
    ('015599452.jpg', 1, 6, struct_array([
        dict(x1=5., y1=5., x2=12., y2=12.,
             annopoints=points((9, 8, 6, 1.), (7, 8, 20, 1.)),
             scale=0.15, objpos={'x': 8., 'y': 20.}),
    ], PERSON)),
    # Validation: person 1 listed, person 2 not; a joint outside the image (x = 0).
    ('005808361.jpg', 1, 2, struct_array([
        dict(x1=2., y1=2., x2=9., y2=8.,
             annopoints=points((9, 5, 3, 1.), (10, 0, 20, 1.), (5, 7, 38, 1.)),
             scale=0.18, objpos={'x': 6., 'y': 20.}),
        dict(x1=30., y1=4., x2=37., y2=11.,
             annopoints=points((9, 33, 6, 1.), (6, 34, 25, 0.)),
             scale=0.16, objpos={'x': 34., 'y': 20.}),
    ], PERSON)),
    # Train (video 3): a point struct without is_visible at all.
    ('037454012.jpg', 1, 3, struct_array([
        dict(x1=10., y1=10., x2=16., y2=16.,
             annopoints=points((9, 13, 12, None), (15, 20, 30, None)),
             scale=0.12, objpos={'x': 14., 'y': 22.}),
    ], PERSON)),
    # Training image whose only person has no joints (skipped).
    ('052475643.jpg', 1, None, struct_array([
        dict(scale=0.3, objpos={'x': 20., 'y': 20.}),
    ], TEST_PERSON)),
    # Training image without people (skipped).
    ('060111501.jpg', 1, None, EMPTY),
    # Test image: annotations withheld, only scale/objpos (skipped).
    ('070807258.jpg', 0, None, struct_array([
        dict(scale=0.25, objpos={'x': 24., 'y': 20.}),
    ], TEST_PERSON)),
)

# The persons of valid.json: (image, annorect index, 0-based).
VALIDATION = (('015601864.jpg', 0), ('005808361.jpg', 0))


def validation_entry(name: str, person: int) -> dict:
  """A valid.json entry for annorect `person` of image `name`, as HRNet's."""
  rect = next(rects for n, _, _, rects in IMAGES if n == name)[0, person]
  joints, joints_vis = [[-1., -1.]] * 16, [0] * 16
  for point in rect['annopoints']['point'][0]:
    joints[int(point['id'])] = [float(point['x']), float(point['y'])]
    joints_vis[int(point['id'])] = 1
  objpos = rect['objpos']
  return {'joints_vis': joints_vis, 'joints': joints, 'image': name,
          'scale': float(rect['scale']), 'center': [objpos['x'], objpos['y']]}


def main():
  rng = np.random.default_rng(0)
  (ROOT / 'images').mkdir(parents=True, exist_ok=True)
  annolist, single_person, act = [], [], []
  for i, (name, _, vididx, annorect) in enumerate(IMAGES):
    image = rng.integers(0, 256, (HEIGHT, WIDTH, 3), np.uint8)
    Image.fromarray(image).save(ROOT / 'images' / name, quality=90)
    annolist.append(dict(image={'name': name}, annorect=annorect,
                         frame_sec=EMPTY if vididx is None else float(10 + i),
                         vididx=EMPTY if vididx is None else float(vididx)))
    people = annorect.size if isinstance(annorect, np.ndarray) and annorect.dtype.names else 0
    single_person.append(np.arange(1, people + 1, dtype=float)[:, None] if people == 1 else EMPTY)
    act.append(dict(cat_name='sports', act_name='running', act_id=float(i + 1)))
  release = {
      'annolist': struct_array(annolist, ('image', 'annorect', 'frame_sec', 'vididx')),
      'img_train': np.array([[float(t) for _, t, _, _ in IMAGES]]),
      'version': '12',
      'single_person': cell(single_person),
      'act': struct_array(act, ('cat_name', 'act_name', 'act_id')).T,
      'video_list': np.array([f'vid{n:08d}' for n in range(1, 7)], dtype=object)[None],
  }
  path = ROOT / 'mpii_human_pose_v1_u12_2' / 'mpii_human_pose_v1_u12_1.mat'
  path.parent.mkdir(parents=True, exist_ok=True)
  scipy.io.savemat(path, {'RELEASE': release}, do_compression=True)
  # The 116-byte text header carries the creation time: fix it, so that
  # reruns write identical bytes.
  data = bytearray(path.read_bytes())
  data[:116] = b'MATLAB 5.0 MAT-file, written by make_dummy_data.py'.ljust(116)
  path.write_bytes(bytes(data))
  valid = ROOT / 'annot' / 'valid.json'
  valid.parent.mkdir(parents=True, exist_ok=True)
  valid.write_text(json.dumps([validation_entry(*v) for v in VALIDATION], indent=1) + '\n')


if __name__ == '__main__':
  main()
