"""Virtual KITTI 2: synthetic driving videos (Unity clones of KITTI), segmentation and depth,
as our definition and as the Factors of Influence paper's builder defines it
(two catalogue entries, one builder with two configs)."""

from transfer.data.catalog import DatasetInfo

# The 14 classes of colors.txt, in its order (its "Undefined" is void). They
# are also the paper's classes 1..14 (factors_of_influence/fids/vkitti2.py,
# VKITTI2_LABELS), whose class 0 'Background' is Undefined's black.
CLASS_NAMES = (
    'Terrain', 'Sky', 'Tree', 'Vegetation', 'Building', 'Road', 'GuardRail',
    'TrafficSign', 'TrafficLight', 'Pole', 'Misc', 'Truck', 'Car', 'Van')

_COMMON = dict(
    builder_module='transfer_datasets.virtual_kitti_2.virtual_kitti2', domain='synthetic',
    tasks=('segmentation', 'depth'), class_names=CLASS_NAMES, crop_size=(375, 1242))

INFOS = (
    DatasetInfo(
        name='virtual_kitti_2', tfds_name='virtual_kitti2/standard', **_COMMON,
        description='Synthetic KITTI-like driving frames in 10 render variations (weather, '
                    'time, camera angle): 14 classes and depth (0.94-80 m); Scene18 is '
                    'validation.'),
    # As factors_of_influence/fids/vkitti2.py (config 'all'): metres = cm / 100,
    # clipped to its metadata's 0.94-80 m, so the sky (655.35 m) is 80 m, valid;
    # read from the same download. Not confirmed without the paper's files:
    # its frame lists (train_all.txt / test_all.txt, not released), so which
    # cameras and frames it read; virtual_kitti2.py has the details.
    DatasetInfo(
        name='virtual_kitti_2_foi', tfds_name='virtual_kitti2/foi', **_COMMON,
        description="Synthetic KITTI-like driving frames in 10 render variations as the "
                    "paper's builder: 14 classes, depth clipped to 0.94-80 m (sky at 80 m); "
                    'Scene18 is validation.'),
)
