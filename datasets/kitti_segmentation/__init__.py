"""KITTI semantic segmentation: 200 KITTI driving frames in Cityscapes' 19 classes, and as
the Factors of Influence paper's builder defines it, 32 classes (two catalogue entries,
one builder with two configs)."""

from transfer.data.catalog import DatasetInfo
from transfer_datasets.cityscapes_fine import CLASS_NAMES as CITYSCAPES_CLASS_NAMES
from transfer_datasets.cityscapes_fine import FOI_CLASS_NAMES as CITYSCAPES_FOI_CLASS_NAMES

# KITTI labels use Cityscapes' label ids: its 19 train-id classes.
CLASS_NAMES = CITYSCAPES_CLASS_NAMES
# The paper's classes 1..32 (fids_metadata_segmentation.py, fids_kitti_segmentation):
# the same as its Cityscapes ones.
FOI_CLASS_NAMES = CITYSCAPES_FOI_CLASS_NAMES

_COMMON = dict(builder_module='transfer_datasets.kitti_segmentation.kitti_segmentation',
               domain='driving', tasks=('segmentation',), crop_size=(512, 512))

INFOS = (
    DatasetInfo(
        name='kitti_segmentation', tfds_name='kitti_segmentation/train_ids',
        class_names=CLASS_NAMES, **_COMMON,
        description='KITTI street scenes (Karlsruhe), 19 Cityscapes classes; '
                    '150/50 split of the 200 labelled frames.'),
    # As factors_of_influence/fids/kitti.py (MSeg's kitti-34 labels, through
    # fids/mseg_base.py): read from the same zip, the classes of cityscapes_foi.
    # kitti_segmentation.py's docstring has the details.
    DatasetInfo(
        name='kitti_segmentation_foi', tfds_name='kitti_segmentation/foi',
        class_names=FOI_CLASS_NAMES, **_COMMON,
        description="KITTI street scenes (Karlsruhe), 32 classes as the paper's builder "
                    '(kitti-34: Cityscapes label ids without unlabeled and out of roi); '
                    '150/50 split of the 200 labelled frames.'),
)
