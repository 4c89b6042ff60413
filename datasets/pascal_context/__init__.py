"""PASCAL-Context: VOC 2010 consumer photos densely labelled, 59 classes + background."""

from transfer.data.catalog import DatasetInfo

# Background (id 0: the 400 rarer of the 459 full classes and unlabelled
# pixels) then the 59 frequent classes, in the usual 60-class order (the
# paper's released builder and the common benchmarks). Spelled as in the
# release's labels.txt; its 59_labels.txt says 'bedcloth', 'clothes' and
# 'diningtable' for 'bedclothes', 'cloth' and 'table'.
CLASS_NAMES = (
    'background', 'aeroplane', 'bag', 'bed', 'bedclothes', 'bench', 'bicycle', 'bird',
    'boat', 'book', 'bottle', 'building', 'bus', 'cabinet', 'car', 'cat', 'ceiling',
    'chair', 'cloth', 'computer', 'cow', 'cup', 'curtain', 'dog', 'door', 'fence',
    'floor', 'flower', 'food', 'grass', 'ground', 'horse', 'keyboard', 'light',
    'motorbike', 'mountain', 'mouse', 'person', 'plate', 'platform', 'pottedplant',
    'road', 'rock', 'sheep', 'shelves', 'sidewalk', 'sign', 'sky', 'snow', 'sofa',
    'table', 'track', 'train', 'tree', 'truck', 'tvmonitor', 'wall', 'water', 'window',
    'wood')

INFOS = (DatasetInfo(
    name='pascal_context', tfds_name='pascal_context',
    builder_module='transfer_datasets.pascal_context.pascal_context',
    domain='consumer', tasks=('segmentation',), class_names=CLASS_NAMES,
    ignore_label=255, crop_size=(420, 420),
    train_split='train', eval_split='validation',
    description='VOC 2010 photos with whole-scene labels, 59 classes + background '
    '(4998 train / 5105 val).'),)
