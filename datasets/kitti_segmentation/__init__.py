"""KITTI semantic segmentation: 200 KITTI driving frames in Cityscapes' 19 classes."""

from transfer.data.catalog import DatasetInfo

# The 19 Cityscapes train ids 0..18 (KITTI labels use Cityscapes' label ids).
CLASS_NAMES = (
    'road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
    'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car',
    'truck', 'bus', 'train', 'motorcycle', 'bicycle')

INFOS = (DatasetInfo(
    name='kitti_segmentation', tfds_name='kitti_segmentation',
    builder_module='transfer_datasets.kitti_segmentation.kitti_segmentation',
    domain='driving', tasks=('segmentation',), class_names=CLASS_NAMES,
    crop_size=(512, 512),
    description='KITTI street scenes (Karlsruhe), 19 Cityscapes classes; '
    '150/50 split of the 200 labelled frames.'),)
