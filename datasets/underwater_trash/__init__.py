"""Underwater Trash (Trash-ICRA19): boxes of marine debris, life and ROVs."""

from transfer.data.catalog import DatasetInfo

# The release's YOLO order (plastic, bio, rov), then `metal`, the fourth
# label of its VOC XML files that the paper keeps (4 classes).
CLASS_NAMES = ('plastic', 'bio', 'rov', 'metal')

INFOS = (DatasetInfo(
    name='underwater_trash', tfds_name='underwater_trash',
    builder_module='transfer_datasets.underwater_trash.underwater_trash',
    domain='underwater', tasks=('boxes',), class_names=CLASS_NAMES,
    crop_size=(360, 480),  # not in datasets.md: the largest frame size (480x360)
    train_split='train', eval_split='validation',
    description='Underwater video frames of marine debris, life and ROVs; 4 box classes.'),)
