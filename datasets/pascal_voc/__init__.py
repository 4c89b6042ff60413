"""Pascal VOC 2012 semantic segmentation: consumer photos, 20 objects + background."""

from transfer.data.catalog import DatasetInfo

# Palette index v of SegmentationClass/*.png is class v; 255 (object borders
# and difficult regions) is void.
CLASS_NAMES = (
    'background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat',
    'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant',
    'sheep', 'sofa', 'train', 'tvmonitor')

INFOS = (DatasetInfo(
    name='pascal_voc', tfds_name='pascal_voc_segmentation',
    builder_module='transfer_datasets.pascal_voc.pascal_voc_segmentation',
    domain='consumer', tasks=('segmentation',), class_names=CLASS_NAMES,
    ignore_label=255, crop_size=(420, 420),
    train_split='train', eval_split='validation',
    description='Everyday photos, 20 object classes + background (official 1464/1449 split).'),)
