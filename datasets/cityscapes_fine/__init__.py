"""Cityscapes, fine annotations: street scenes of 50 (mostly German) cities, 19 classes."""

from transfer.data.catalog import DatasetInfo

# The 19 Cityscapes train ids 0..18 (official `labels.py`), in id order.
CLASS_NAMES = (
    'road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
    'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car',
    'truck', 'bus', 'train', 'motorcycle', 'bicycle')

INFOS = (DatasetInfo(
    name='cityscapes', tfds_name='cityscapes_fine',
    builder_module='transfer_datasets.cityscapes_fine.cityscapes_fine',
    domain='driving', tasks=('segmentation',), class_names=CLASS_NAMES,
    crop_size=(512, 1024),
    description='Dash-camera street scenes of 50 mostly German cities, 19 classes (fine labels).'),)
