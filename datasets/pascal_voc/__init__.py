"""Pascal VOC 2012 semantic segmentation: consumer photos, 20 objects + background,
as our definition and as the Factors of Influence paper's builder defines it
(two catalogue entries, one builder with two configs)."""

from transfer.data.catalog import DatasetInfo

# Palette index v of SegmentationClass/*.png is class v; 255 (object borders
# and difficult regions) is void.
CLASS_NAMES = (
    'background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat',
    'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant',
    'sheep', 'sofa', 'train', 'tvmonitor')
# The paper's classes 1..20 (factors_of_influence/fids/fids_metadata_segmentation.py,
# fids_pascal_voc2012, without its class 0 'background'): index v is our v - 1.
FOI_CLASS_NAMES = CLASS_NAMES[1:]

_COMMON = dict(
    builder_module='transfer_datasets.pascal_voc.pascal_voc_segmentation',
    domain='consumer', tasks=('segmentation',), ignore_label=255, crop_size=(420, 420),
    train_split='train', eval_split='validation')

INFOS = (
    DatasetInfo(
        name='pascal_voc', tfds_name='pascal_voc_segmentation/standard',
        class_names=CLASS_NAMES, **_COMMON,
        description='Everyday photos, 20 object classes + background (official 1464/1449 split).'),
    # As factors_of_influence/fids/pascal.py (PascalVOC, MSeg's voc2012 labels):
    # background and void are its class 0, ignored here; read from the same
    # download. Not confirmed without MSeg's lists: its train list (MSeg ships
    # the SBD-augmented labels); pascal_voc_segmentation.py has the details.
    DatasetInfo(
        name='pascal_voc_foi', tfds_name='pascal_voc_segmentation/foi',
        class_names=FOI_CLASS_NAMES, **_COMMON,
        description="Everyday photos, 20 object classes as the paper's builder (background "
                    'and void ignored; official 1464/1449 split).'),
)
