"""BDD100K (Berkeley DeepDrive): driving frames, 19-class segmentation and
10-class detection (two catalogue entries, one builder with two configs)."""

from transfer.data.catalog import DatasetInfo
from transfer_datasets.cityscapes_fine import CLASS_NAMES as CITYSCAPES_CLASS_NAMES

# The 19 evaluated semantic segmentation classes, in mask-value order:
# BDD100K uses the Cityscapes train ids (255 = unknown).
SEGMENTATION_CLASS_NAMES = CITYSCAPES_CLASS_NAMES

# The 10 evaluated detection categories of the Detection 2020 labels, in the
# order of BDD100K's `category_id` (1-based there, 0-based here).
DETECTION_CLASS_NAMES = (
    'pedestrian', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle',
    'bicycle', 'traffic light', 'traffic sign')

_MODULE = 'transfer_datasets.bdd100k.bdd100k'

INFOS = (
    DatasetInfo(
        name='bdd100k_segmentation', tfds_name='bdd100k/segmentation',
        builder_module=_MODULE, domain='driving', tasks=('segmentation',),
        class_names=SEGMENTATION_CLASS_NAMES, crop_size=(720, 1280),
        description='US dash-cam frames (10K set), 19 Cityscapes classes.'),
    DatasetInfo(
        name='bdd100k_detection', tfds_name='bdd100k/detection',
        builder_module=_MODULE, domain='driving', tasks=('boxes',),
        class_names=DETECTION_CLASS_NAMES, crop_size=(720, 1280),
        description='US dash-cam frames (100K set), boxes of 10 road-object classes.'),
)
