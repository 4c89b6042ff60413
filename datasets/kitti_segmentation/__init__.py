"""KITTI semantic segmentation: 200 KITTI driving frames in Cityscapes' 19 classes."""

from transfer.data.catalog import DatasetInfo
from transfer_datasets.cityscapes_fine import CLASS_NAMES as CITYSCAPES_CLASS_NAMES

# KITTI labels use Cityscapes' label ids: its 19 train-id classes.
CLASS_NAMES = CITYSCAPES_CLASS_NAMES

INFOS = (DatasetInfo(
    name='kitti_segmentation', tfds_name='kitti_segmentation',
    builder_module='transfer_datasets.kitti_segmentation.kitti_segmentation',
    domain='driving', tasks=('segmentation',), class_names=CLASS_NAMES,
    crop_size=(512, 512),
    description='KITTI street scenes (Karlsruhe), 19 Cityscapes classes; '
    '150/50 split of the 200 labelled frames.'),)
