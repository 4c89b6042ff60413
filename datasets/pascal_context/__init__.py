"""PASCAL-Context: VOC 2010 consumer photos densely labelled, 59 classes + background,
as our definition and as the Factors of Influence paper's builder defines it
(two catalogue entries, one builder with two configs)."""

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
# The paper's classes 1..59 (factors_of_influence/fids/fids_metadata_segmentation.py,
# fids_pascal_context, without its class 0 'background'): the same names and
# order, so our class c is its c + 1.
FOI_CLASS_NAMES = CLASS_NAMES[1:]

_COMMON = dict(
    builder_module='transfer_datasets.pascal_context.pascal_context',
    domain='consumer', tasks=('segmentation',), ignore_label=255, crop_size=(420, 420),
    train_split='train', eval_split='validation')

INFOS = (
    DatasetInfo(
        name='pascal_context', tfds_name='pascal_context/standard',
        class_names=CLASS_NAMES, **_COMMON,
        description='VOC 2010 photos with whole-scene labels, 59 classes + background '
        '(4998 train / 5105 val).'),
    # As factors_of_influence/fids/pascal.py (PascalContext, MSeg's
    # pascal-context-60 labels): its class 0 'background' (the 400 rare classes
    # and unlabelled pixels) ignored; read from the same download. Not
    # confirmed without MSeg's files: its split lists; pascal_context.py has
    # the details.
    DatasetInfo(
        name='pascal_context_foi', tfds_name='pascal_context/foi',
        class_names=FOI_CLASS_NAMES, **_COMMON,
        description="VOC 2010 photos with whole-scene labels, 59 classes as the paper's "
        'builder (background: rare classes and unlabelled, ignored; 4998 train / 5105 val).'),
)
