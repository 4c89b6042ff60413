"""Cityscapes, fine annotations: street scenes of 50 (mostly German) cities, in 19 classes
and as the Factors of Influence paper's builder defines it, 32 classes (two catalogue
entries, one builder with two configs)."""

from transfer.data.catalog import DatasetInfo

# The 19 Cityscapes train ids 0..18 (official `labels.py`), in id order.
CLASS_NAMES = (
    'road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
    'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car',
    'truck', 'bus', 'train', 'motorcycle', 'bicycle')
# The 34 Cityscapes label ids 0..33 by name, in id order (labels.py; MSeg's
# dataset_lists/cityscapes-34/cityscapes-34_names.txt, and kitti-34's, list the same).
LABEL_NAMES = (
    'unlabeled', 'ego vehicle', 'rectification border', 'out of roi', 'static',
    'dynamic', 'ground', 'road', 'sidewalk', 'parking', 'rail track', 'building',
    'wall', 'fence', 'guard rail', 'bridge', 'tunnel', 'pole', 'polegroup',
    'traffic light', 'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider',
    'car', 'truck', 'bus', 'caravan', 'trailer', 'train', 'motorcycle', 'bicycle')
# Label names the paper's builder folds into its class 0 'background'
# (factors_of_influence/fids/cityscapes.py and kitti.py); ignored here.
FOI_BACKGROUND = ('unlabeled', 'out of roi')
# The paper's classes 1..32 (fids_metadata_segmentation.py, fids_city_scapes and
# fids_kitti_segmentation, without 'background'): our class c is its c + 1.
FOI_CLASS_NAMES = tuple(name for name in LABEL_NAMES if name not in FOI_BACKGROUND)

_COMMON = dict(builder_module='transfer_datasets.cityscapes_fine.cityscapes_fine',
               domain='driving', tasks=('segmentation',), crop_size=(512, 1024))

INFOS = (
    DatasetInfo(
        name='cityscapes', tfds_name='cityscapes_fine/train_ids', class_names=CLASS_NAMES,
        **_COMMON,
        description='Dash-camera street scenes of 50 mostly German cities, 19 classes '
                    '(fine labels).'),
    # As factors_of_influence/fids/cityscapes.py (MSeg's cityscapes-34 labels,
    # through fids/mseg_base.py): read from the same two zips.
    # cityscapes_fine.py's docstring has the details.
    DatasetInfo(
        name='cityscapes_foi', tfds_name='cityscapes_fine/foi', class_names=FOI_CLASS_NAMES,
        **_COMMON,
        description='Dash-camera street scenes of 50 mostly German cities, 32 classes as '
                    "the paper's builder (cityscapes-34 label ids without unlabeled and "
                    'out of roi; fine labels).'),
)
