"""Virtual KITTI 2: synthetic driving videos (Unity clones of KITTI), segmentation and depth."""

from transfer.data.catalog import DatasetInfo

# The 14 classes of colors.txt, in its order (its "Undefined" is void).
CLASS_NAMES = (
    'Terrain', 'Sky', 'Tree', 'Vegetation', 'Building', 'Road', 'GuardRail',
    'TrafficSign', 'TrafficLight', 'Pole', 'Misc', 'Truck', 'Car', 'Van')

INFOS = (DatasetInfo(
    name='virtual_kitti_2', tfds_name='virtual_kitti2',
    builder_module='transfer_datasets.virtual_kitti_2.virtual_kitti2',
    domain='synthetic', tasks=('segmentation', 'depth'), class_names=CLASS_NAMES,
    crop_size=(375, 1242),
    description='Synthetic KITTI-like driving frames in 10 render variations (weather, '
                'time, camera angle): 14 classes and depth (0.94-80 m); Scene18 is '
                'validation.'),)
