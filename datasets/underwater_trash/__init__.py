"""Underwater Trash (Trash-ICRA19): boxes of marine debris, life and ROVs,
as our definition and as the Factors of Influence paper's builder defines it
(two catalogue entries, one builder with two configs)."""

from transfer.data.catalog import DatasetInfo

# The release's YOLO order (plastic, bio, rov), then `metal`, the fourth
# label of its VOC XML files that the paper keeps (4 classes).
CLASS_NAMES = ('plastic', 'bio', 'rov', 'metal')
# The paper's order (factors_of_influence/fids/underwater_trash.py,
# UTD_BOX_LABELS without its class 0 'background').
FOI_CLASS_NAMES = ('metal', 'rov', 'bio', 'plastic')

_COMMON = dict(
    builder_module='transfer_datasets.underwater_trash.underwater_trash',
    domain='underwater', tasks=('boxes',),
    crop_size=(360, 480),  # not in datasets.md: the largest frame size (480x360)
    train_split='train', eval_split='validation')

INFOS = (
    DatasetInfo(
        name='underwater_trash', tfds_name='underwater_trash/standard', **_COMMON,
        class_names=CLASS_NAMES,
        description='Underwater video frames of marine debris, life and ROVs; 4 box classes.'),
    # As factors_of_influence/fids/underwater_trash.py: its class order, and the
    # rare labels' boxes kept as its class 0 'background' (our ignore label).
    DatasetInfo(
        name='underwater_trash_foi', tfds_name='underwater_trash/foi', **_COMMON,
        class_names=FOI_CLASS_NAMES,
        description='Underwater video frames of marine debris, life and ROVs; 4 box classes '
                    "as the paper's builder (its order; rare labels' boxes kept as "
                    'background, labelled 255).'),
)
