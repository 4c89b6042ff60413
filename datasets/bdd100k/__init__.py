"""BDD100K (Berkeley DeepDrive): driving frames, 19-class segmentation and
10-class detection, the latter also as the Factors of Influence paper's
builder defines it (three catalogue entries, one builder with three configs)."""

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

# The paper's 10 box classes (factors_of_influence/fids/berkeley_deep_drive.py,
# BOX_LABELS without its class 0 'background'): the 2018 labels' categories,
# in alphabetical order.
FOI_DETECTION_CLASS_NAMES = (
    'bike', 'bus', 'car', 'motor', 'person', 'rider', 'traffic light', 'traffic sign',
    'train', 'truck')

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
    # As factors_of_influence/fids/berkeley_deep_drive.py (DETECTION_100K) reads
    # it: the 2018 labels (bdd100k_labels_images_*.json), boxes as given, no
    # crowd regions; its unlabelled test split is not built.
    DatasetInfo(
        name='bdd100k_detection_foi', tfds_name='bdd100k/detection_foi',
        builder_module=_MODULE, domain='driving', tasks=('boxes',),
        class_names=FOI_DETECTION_CLASS_NAMES, crop_size=(720, 1280),
        description='US dash-cam frames (100K set), boxes of 10 road-object classes as the '
                    "paper's builder (2018 labels, boxes as given, no crowd)."),
)
