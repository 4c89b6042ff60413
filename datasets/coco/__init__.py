"""COCO 2017: everyday photos with panoptic segmentation, boxes and person keypoints.

Four catalogue entries share one builder (`coco2017.Coco2017`, one config
each): `coco_panoptic` (133-class semantic segmentation from the panoptic
annotations, plus the thing segments as objects), `coco_detection` (80-class
boxes with instance maps), `coco_detection_foi` (the same boxes as the Factors
of Influence paper's builder: crowd regions as ordinary boxes, no instance
maps) and `coco_keypoints` (17 person keypoints).
"""

from transfer.data.catalog import DatasetInfo

# The 80 thing classes, in increasing COCO category id (1..90 with gaps).
THING_NAMES = (
    'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat',
    'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat',
    'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'backpack',
    'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball',
    'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket',
    'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple',
    'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair',
    'couch', 'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse',
    'remote', 'keyboard', 'cell phone', 'microwave', 'oven', 'toaster', 'sink',
    'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier',
    'toothbrush')

# The 53 stuff classes of COCO panoptic, in increasing category id (92..200).
STUFF_NAMES = (
    'banner', 'blanket', 'bridge', 'cardboard', 'counter', 'curtain', 'door-stuff',
    'floor-wood', 'flower', 'fruit', 'gravel', 'house', 'light', 'mirror-stuff', 'net',
    'pillow', 'platform', 'playingfield', 'railroad', 'river', 'road', 'roof', 'sand', 'sea',
    'shelf', 'snow', 'stairs', 'tent', 'towel', 'wall-brick', 'wall-stone', 'wall-tile',
    'wall-wood', 'water-other', 'window-blind', 'window-other', 'tree-merged',
    'fence-merged', 'ceiling-merged', 'sky-other-merged', 'cabinet-merged', 'table-merged',
    'floor-other-merged', 'pavement-merged', 'mountain-merged', 'grass-merged',
    'dirt-merged', 'paper-merged', 'food-other-merged', 'building-other-merged',
    'rock-merged', 'wall-other-merged', 'rug-merged')

# Panoptic class ids 0..132: the `categories` of panoptic_*2017.json in file
# order (things first, then stuff, each by category id).
PANOPTIC_NAMES = THING_NAMES + STUFF_NAMES

# COCO's person keypoints, in annotation order.
KEYPOINT_NAMES = (
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder',
    'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
    'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle')
# Keypoint k of a mirrored person is keypoint FLIP_MAP[k] of the original.
KEYPOINT_FLIP_MAP = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)
# The `skeleton` of person_keypoints_*2017.json (19 links), made 0-based.
KEYPOINT_SKELETON = (
    (15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7),
    (6, 8), (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6))
# COCO's OKS sigmas; the same numbers (and arithmetic) as
# transfer.metrics.coco.COCO_KEYPOINT_SIGMAS, repeated so this file stays cheap.
OKS_SIGMAS = tuple(s / 10 for s in (
    .26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89))

_BUILDER = 'transfer_datasets.coco.coco2017'

INFOS = (
    DatasetInfo(
        name='coco_panoptic', tfds_name='coco2017/panoptic', builder_module=_BUILDER,
        domain='consumer', tasks=('segmentation', 'boxes'), class_names=PANOPTIC_NAMES,
        object_class_names=THING_NAMES, crop_size=(713, 713),
        description='COCO 2017 panoptic annotations as semantic segmentation '
                    '(80 things + 53 stuff), with the thing segments as objects.'),
    DatasetInfo(
        name='coco_detection', tfds_name='coco2017/detection', builder_module=_BUILDER,
        domain='consumer', tasks=('boxes',), class_names=THING_NAMES,
        object_class_names=THING_NAMES, crop_size=(713, 713),
        description='COCO 2017 object detection: boxes and instance masks of 80 classes.'),
    # As the Factors of Influence paper's builder defines it
    # (factors_of_influence/fids/coco.py, its 'boxes' config): the same 80
    # classes and boxes, crowd regions as ordinary boxes (is_crowd False), no
    # instance maps, has_boxes False on images without annotations. Not
    # confirmed without MSeg's lists: that its image ids (MSeg's
    # coco-panoptic-133 lists) are all of train2017 / val2017.
    DatasetInfo(
        name='coco_detection_foi', tfds_name='coco2017/detection_foi',
        builder_module=_BUILDER, domain='consumer', tasks=('boxes',), class_names=THING_NAMES,
        object_class_names=THING_NAMES, crop_size=(713, 713),
        description="COCO 2017 object detection as the paper's builder: boxes of 80 classes, "
                    'crowd regions as ordinary boxes, no instance masks.'),
    DatasetInfo(
        name='coco_keypoints', tfds_name='coco2017/keypoints', builder_module=_BUILDER,
        domain='consumer', tasks=('boxes', 'keypoints'), class_names=('person',),
        crop_size=(713, 713), num_keypoints=17, keypoint_flip_map=KEYPOINT_FLIP_MAP,
        keypoint_skeleton=KEYPOINT_SKELETON, oks_sigmas=OKS_SIGMAS, single_instance=False,
        description='COCO 2017 person keypoints (17 per person) with person boxes.'),
)
