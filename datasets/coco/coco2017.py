"""COCO 2017 (train2017 / val2017) in the project's example format.

Reads the official download as unzipped from cocodataset.org: the JPEGs of
`train2017/` and `val2017/` and, under `annotations/`, the JSON files of
annotations_trainval2017.zip and panoptic_annotations_trainval2017.zip
(plus the PNG folders of the zips nested in the latter). One config per
catalogue entry; each reads only its own annotation files. Splits: 'train'
is train2017, 'validation' is val2017 (test2017 has no annotations).
Example keys are the image file stems ('000000000139').

panoptic (`coco_panoptic`), from panoptic_{split}2017.json and the PNGs of
  panoptic_{split}2017/: each PNG is RGB with segment id R + 256 G + 256^2 B,
  and the image's `segments_info` gives each id its category. Class ids
  0..132 are the positions of the JSON's 133 `categories` (80 things by
  category id, then 53 stuff by id; checked against the catalogue's names);
  segment id 0 (unlabelled) is void = 255. Crowd segments keep their class.
  A non-zero id in a PNG that `segments_info` does not list is an error
  (panopticapi's evaluation rejects it too). The thing segments also become
  objects: label = class id (0..79, the same as `coco_detection`'s ids),
  box = the segment's `bbox`, is_crowd = `iscrowd`, and the instance map is
  exact, since panoptic segments do not overlap.

detection (`coco_detection`), from instances_{split}2017.json: the 80
  category ids (1..90 with gaps) map to 0..79 in increasing id order (names
  checked against the catalogue). Every annotation becomes an object, crowd
  regions included (is_crowd = `iscrowd`); `bbox` [x, y, w, h] is in COCO's
  continuous pixel coordinates. The instance map is rasterised with
  pycocotools from the polygons (lists of fewer than 6 coordinates are
  degenerate and skipped, as pycocotools would read a 4-number list as a
  box) or RLE (uncompressed `counts` lists, as crowd regions use, or
  compressed strings). Masks overlap but a map holds one object per pixel:
  crowd regions are painted first, then the others from the largest mask
  area to the smallest, so a smaller object stays visible on top of a larger
  one (ties in annotation id order). An object left with no pixels (fully
  covered, or a mask too thin to cover a pixel centre) keeps its box here,
  but the input pipeline, which takes boxes from the instance map when there
  is one, then drops it.

detection_foi (`coco_detection_foi`), detection as the Factors of Influence
  paper's builder defines it (`factors_of_influence/fids/coco.py`, its
  'boxes' config, google-research/google-research), from the same
  instances_{split}2017.json: every annotation is an ordinary box, crowd
  regions included (is_crowd False: the paper's builder has no crowd flag,
  its boxes are the `bbox`es of all annotations of an image); no instance
  maps (that config stores none), so the input pipeline keeps the boxes as
  given; an image without annotations is kept with has_boxes False (the
  paper's builder marks its boxes missing). As in `detection`, and as in
  the paper's builder: the same 80 categories in increasing id order (its
  classes 1..80 after its 'background' 0, which has no boxes, are our
  0..79; it checks the names against the same list) and boxes
  (x, y, x + w, y + h) in continuous pixels, normalised by the image size.
  Its image ids come from MSeg's coco-panoptic-133 lists rather than from
  the instances JSON; we take those to be all of train2017 / val2017, which
  could not be confirmed without MSeg's list files.

keypoints (`coco_keypoints`), from person_keypoints_{split}2017.json: every
  person annotation is an object (label 0) with its box, is_crowd and 17
  keypoints (x, y, v): x, y are pixel indices (COCO's convention), v is 0
  (not labelled, x = y = 0), 1 (labelled, occluded) or 2 (visible). Crowd
  regions and persons with no labelled keypoint stay as objects, because
  COCO's OKS evaluation ignores them rather than counting them as misses.
  Instance maps are rasterised as for detection. 'train' keeps only images
  with at least one person with a labelled keypoint (as keypoint training
  usually does); 'validation' keeps all 5000 images, as COCO's keypoint
  evaluation does (detections on person-free images are false positives).

Panoptic and detection (both configs) keep every image their JSON lists,
also those without objects. Each image's size must match its JSON `height`/`width`.

TFDS's `coco` builder downloads the same files itself and yields raw COCO
fields (no class mapping, no masks). This builder reuses its JSON parsing,
`tfds.object_detection.coco.CocoAnnotationBBoxes` (images, categories,
annotations grouped per image by id; it also reads the keypoint JSON, which
has the same schema) and `CocoAnnotationPanoptic` (the panoptic annotation
of each image), and adds everything else: reading a manual download with
errors naming the file, class mapping, panoptic PNG decoding and mask
rasterisation.
"""

import io

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils
import tensorflow_datasets as tfds
from tensorflow_datasets.object_detection import coco as tfds_coco

from transfer.data import builders
from transfer_datasets.coco import KEYPOINT_NAMES

_SPLITS = {'train': 'train2017', 'validation': 'val2017'}
_ANNOTATIONS = {'panoptic': 'panoptic_{}.json', 'detection': 'instances_{}.json',
                'keypoints': 'person_keypoints_{}.json', 'detection_foi': 'instances_{}.json'}


class Coco2017(builders.ManualBuilder):
  """COCO 2017: panoptic segmentation, detection or person keypoints."""

  BUILDER_CONFIGS = [
      tfds.core.BuilderConfig(
          name='panoptic', description='133-class semantic segmentation from the '
          'panoptic annotations, thing segments as objects.'),
      tfds.core.BuilderConfig(
          name='detection', description='Boxes and instance maps of the 80 classes.'),
      tfds.core.BuilderConfig(
          name='keypoints', description='Persons with 17 keypoints, boxes, instance maps.'),
      tfds.core.BuilderConfig(
          name='detection_foi', description="Boxes of the 80 classes as the FoI paper's "
          'builder: crowd regions as ordinary boxes, no instance maps.'),
  ]
  CATALOG_NAMES = {'panoptic': 'coco_panoptic', 'detection': 'coco_detection',
                   'keypoints': 'coco_keypoints', 'detection_foi': 'coco_detection_foi'}
  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  From https://cocodataset.org/#download download the 2017 files each config
  needs:
    images (all configs):  http://images.cocodataset.org/zips/train2017.zip
                           http://images.cocodataset.org/zips/val2017.zip
    detection(_foi), keypoints:
                           http://images.cocodataset.org/annotations/annotations_trainval2017.zip
    panoptic:              http://images.cocodataset.org/annotations/panoptic_annotations_trainval2017.zip
  Unzip them all into the manual dir (`unzip FILE -d <manual_dir>`), then
  unzip the two PNG archives nested inside the panoptic one, in place:
    cd <manual_dir>/annotations && unzip panoptic_train2017.zip && unzip panoptic_val2017.zip
  so that these exist (likewise for val2017):
    <manual_dir>/train2017/000000000009.jpg
    <manual_dir>/annotations/instances_train2017.json         (detection, detection_foi)
    <manual_dir>/annotations/person_keypoints_train2017.json  (keypoints)
    <manual_dir>/annotations/panoptic_train2017.json          (panoptic)
    <manual_dir>/annotations/panoptic_train2017/000000000009.png
  (manual_dir defaults to <data_dir>/downloads/manual/). Then build with
    python -m transfer.data.build coco_panoptic --manual_dir=<manual_dir>
  (or coco_detection, coco_detection_foi, coco_keypoints).
  """

  def _split_generators(self, dl_manager):
    config = self.builder_config.name
    out = {}
    for split, name in _SPLITS.items():
      images = self.manual_path(dl_manager, name, directory=True)
      json_path = self.manual_path(dl_manager, 'annotations', _ANNOTATIONS[config].format(name))
      pngs = (self.manual_path(dl_manager, 'annotations', f'panoptic_{name}', directory=True)
              if config == 'panoptic' else None)
      out[split] = self._generate_examples(images, json_path, split, pngs)
    return out

  def _generate_examples(self, image_dir, json_path, split, png_dir=None):
    if self.builder_config.name == 'panoptic':
      return self._panoptic_examples(image_dir, json_path, png_dir)
    return self._object_examples(image_dir, json_path, split)

  # ------------------------------------------------------------- parsing --

  def _load(self, json_path, parser):
    """`parser(json_path)`, a TFDS COCO annotation reader, with its schema
    checked; any failure names the file."""
    try:
      coco = parser(json_path)
      _require(coco.images, ('id', 'file_name', 'height', 'width'))
      _require(coco.categories, ('id', 'name'))
    except Exception as e:  # pylint: disable=broad-except
      raise self.fail(json_path, f'is not a COCO annotation file ({type(e).__name__}: {e})')
    return coco

  def _category_ids(self, json_path, categories, names) -> dict:
    """{COCO category id: class id}, class ids in `categories` order, which
    must name exactly `names`."""
    found = tuple(c['name'] for c in categories)
    if found != tuple(names):
      raise self.fail(json_path, f'has categories {found}, expected the {len(names)} '
                      f'COCO 2017 categories {tuple(names)}')
    return {c['id']: i for i, c in enumerate(categories)}

  def _image(self, image_dir, image_info):
    path = image_dir / image_info['file_name']
    image = builders.read_image(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS)
    expected = (image_info['height'], image_info['width'])
    if image.shape[:2] != expected:
      raise self.fail(path, f'is {image.shape[0]}x{image.shape[1]} pixels, but the '
                      f'annotations say {expected[0]}x{expected[1]}')
    return image

  # ------------------------------------------------------------ panoptic --

  def _panoptic_examples(self, image_dir, json_path, png_dir):
    coco = self._load(json_path, tfds_coco.CocoAnnotationPanoptic)
    info = self.dataset_info
    class_ids = self._category_ids(json_path, coco.categories, info.class_names)
    things = {c['id'] for c in coco.categories if c.get('isthing')}
    ignore = info.ignore_label
    for image_info in sorted(coco.images, key=lambda im: im['id']):
      key = image_info['file_name'].rsplit('.', 1)[0]
      try:
        annotation = coco.get_annotations(img_id=image_info['id'])
        png_path = png_dir / annotation['file_name']
        segments = [(int(s['id']), class_ids[s['category_id']], s['category_id'] in things,
                     bool(s['iscrowd']), [float(v) for v in s['bbox']])
                    for s in annotation['segments_info']]
      except Exception as e:  # pylint: disable=broad-except
        raise self.fail(json_path, f'has no valid panoptic annotation for image '
                        f'{image_info["id"]} ({type(e).__name__}: {e})')
      image = self._image(image_dir, image_info)
      segment_ids = self._read_segment_ids(png_path)
      if segment_ids.shape != image.shape[:2]:
        raise self.fail(png_path, f'is {segment_ids.shape[0]}x{segment_ids.shape[1]} '
                        f'pixels, its image {image.shape[0]}x{image.shape[1]}')
      present, inverse = np.unique(segment_ids, return_inverse=True)
      by_id = {s[0]: s for s in segments}
      unknown = sorted(set(present.tolist()) - set(by_id) - {0})
      if unknown:
        raise self.fail(png_path, f'has segment ids {unknown[:5]} that segments_info of '
                        f'image {image_info["id"]} in {json_path.name} does not list')
      objects = [s for s in segments if s[2]]
      object_index = {s[0]: i + 1 for i, s in enumerate(objects)}
      classes = np.array([by_id[v][1] if v else ignore for v in present.tolist()])
      instance_ids = np.array([object_index.get(v, 0) for v in present.tolist()])
      inverse = inverse.reshape(segment_ids.shape)
      boxes = np.array([[x, y, x + w, y + h] for *_, (x, y, w, h) in objects],
                       np.float32).reshape(-1, 4)
      yield key, self.example(
          image, segmentation=classes[inverse], instances=instance_ids[inverse],
          boxes=boxes, labels=[s[1] for s in objects], is_crowd=[s[3] for s in objects])

  def _read_segment_ids(self, path):
    data = builders.read_bytes(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS)
    try:
      png = Image.open(io.BytesIO(data))
      png.load()
    except Exception as e:  # pylint: disable=broad-except
      raise self.fail(path, f'cannot be read ({type(e).__name__}: {e})')
    if png.mode != 'RGB':
      raise self.fail(path, f'is a {png.mode} image; panoptic PNGs are RGB '
                      '(segment id = R + 256 G + 256^2 B)')
    rgb = np.asarray(png, np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]

  # -------------------------------------------- detection and keypoints --

  def _object_examples(self, image_dir, json_path, split):
    coco = self._load(json_path, tfds_coco.CocoAnnotationBBoxes)
    info = self.dataset_info
    keypoints = self.builder_config.name == 'keypoints'
    foi = self.builder_config.name == 'detection_foi'
    categories = coco.categories
    if keypoints:
      person = categories[0] if len(categories) == 1 else {}
      if tuple(person.get('keypoints', ())) != KEYPOINT_NAMES:
        raise self.fail(json_path, 'should have one category, person, with the 17 '
                        f'keypoints {KEYPOINT_NAMES}')
    else:
      categories = sorted(categories, key=lambda c: c['id'])
    class_ids = self._category_ids(json_path, categories, info.object_classes)
    for image_info in sorted(coco.images, key=lambda im: im['id']):
      key = image_info['file_name'].rsplit('.', 1)[0]
      annotations = coco.get_annotations(img_id=image_info['id'])
      try:
        boxes = np.array([[x, y, x + w, y + h] for x, y, w, h in
                          (a['bbox'] for a in annotations)], np.float32).reshape(-1, 4)
        labels = [class_ids[a['category_id']] for a in annotations]
        is_crowd = [bool(a['iscrowd']) for a in annotations]
        points = None
        if keypoints:
          points = np.array([a['keypoints'] for a in annotations],
                            np.float32).reshape(len(annotations), info.num_keypoints, 3)
      except Exception as e:  # pylint: disable=broad-except
        raise self.fail(json_path, f'has a malformed annotation of image '
                        f'{image_info["id"]} ({type(e).__name__}: {e})')
      if keypoints and split == 'train' and not (points[..., 2] > 0).any():
        continue
      image = self._image(image_dir, image_info)
      if foi:  # No crowd flag, no masks, no boxes = boxes missing.
        yield key, self.example(image, boxes=boxes if annotations else None, labels=labels)
        continue
      instances = self._instance_map(json_path, annotations, *image.shape[:2])
      yield key, self.example(image, boxes=boxes, labels=labels, is_crowd=is_crowd,
                              keypoints=points, instances=instances)

  def _instance_map(self, json_path, annotations, height, width):
    """i + 1 on the pixels of annotations[i]: crowd regions at the bottom,
    then larger masks under smaller ones."""
    masks = []
    for a in annotations:
      try:
        masks.append(_decode_mask(a['segmentation'], height, width))
      except Exception as e:  # pylint: disable=broad-except
        raise self.fail(json_path, f'has a malformed segmentation in annotation '
                        f'{a.get("id")} ({type(e).__name__}: {e})')
    order = sorted(range(len(masks)), key=lambda i: (not annotations[i]['iscrowd'],
                                                     -int(masks[i].sum()), i))
    instances = np.zeros((height, width), np.uint16)
    for i in order:
      instances[masks[i]] = i + 1
    return instances


def _require(records, keys):
  for record in records:
    for key in keys:
      if key not in record:
        raise KeyError(f'{key!r} missing in {str(record)[:200]}')


def _decode_mask(segmentation, height, width) -> np.ndarray:
  """A COCO `segmentation` (polygons or RLE) -> bool [height, width]."""
  if isinstance(segmentation, list):  # Polygons.
    polygons = [p for p in segmentation if len(p) >= 6 and len(p) % 2 == 0]
    if not polygons:
      return np.zeros((height, width), bool)
    rle = mask_utils.merge(mask_utils.frPyObjects(polygons, height, width))
  else:
    size = list(segmentation['size'])
    if size != [height, width]:
      raise ValueError(f'RLE size {size} is not the image size {[height, width]}')
    counts = segmentation['counts']
    if isinstance(counts, list):  # Uncompressed, as crowd regions are stored.
      if sum(counts) != height * width:
        raise ValueError(f'RLE counts sum to {sum(counts)}, not {height * width}')
      rle = mask_utils.frPyObjects(segmentation, height, width)
    else:
      rle = {'size': size, 'counts': counts.encode() if isinstance(counts, str) else counts}
  return mask_utils.decode(rle).astype(bool)
