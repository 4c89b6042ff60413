"""SUN RGB-D: indoor RGB-D frames from four sensors, 37-class segmentation and depth."""

from transfer.data.catalog import DatasetInfo
from transfer_datasets.nyu_depth_v2 import CLASS_NAMES as NYU40_CLASS_NAMES

# The 37 classes of the SUN RGB-D toolbox (seg37list), in id order: label
# value k of SUNRGBD2Dseg.mat is id k - 1. Names as in NYU40, whose first 37
# classes these are (the toolbox spells a few differently: floor_mat,
# fridge, tv, shower_curtain, night_stand).
CLASS_NAMES = NYU40_CLASS_NAMES[:37]

INFOS = (DatasetInfo(
    name='sun_rgbd', tfds_name='sun_rgbd', builder_module='transfer_datasets.sun_rgbd.sun_rgbd',
    domain='indoor', tasks=('segmentation', 'depth'), class_names=CLASS_NAMES,
    crop_size=(713, 713),
    description='RGB-D frames of indoor scenes from four sensors: 37 classes and '
                'depth (0.369-8 m); official 5285 train / 5050 test split.'),)
