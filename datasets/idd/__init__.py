"""IDD (India Driving Dataset), segmentation part: Indian roads, 26 level-3 classes."""

from transfer.data.catalog import DatasetInfo

# IDD's level-3 ids 0..25 (AutoNUE public-code, evaluate_mIoU.py), in id order.
CLASS_NAMES = (
    'road', 'drivable fallback', 'sidewalk', 'non-drivable fallback', 'person',
    'rider', 'motorcycle', 'bicycle', 'autorickshaw', 'car', 'truck', 'bus',
    'vehicle fallback', 'curb', 'wall', 'fence', 'guard rail', 'billboard',
    'traffic sign', 'traffic light', 'pole', 'obs-str-bar-fallback', 'building',
    'bridge', 'vegetation', 'sky')

INFOS = (DatasetInfo(
    name='idd', tfds_name='idd', builder_module='transfer_datasets.idd.idd',
    domain='driving', tasks=('segmentation',), class_names=CLASS_NAMES,
    crop_size=(624, 832),
    description='Dash-camera scenes of Indian roads, 26 level-3 classes.'),)
