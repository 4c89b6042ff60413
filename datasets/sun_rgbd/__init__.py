"""SUN RGB-D: indoor RGB-D frames from four sensors, 37-class segmentation and depth,
as our definition and as the Factors of Influence paper's builder defines it
(two catalogue entries, one builder with two configs)."""

from transfer.data.catalog import DatasetInfo
from transfer_datasets.nyu_depth_v2 import CLASS_NAMES as NYU40_CLASS_NAMES

# The 37 classes of the SUN RGB-D toolbox (seg37list), in id order: label
# value k of SUNRGBD2Dseg.mat is id k - 1. Names as in NYU40, whose first 37
# classes these are (the toolbox spells a few differently: floor_mat,
# fridge, tv, shower_curtain, night_stand). They are also the paper's names
# and order (fids_metadata_segmentation.py, fids_sunrgbd; MSeg's
# sunrgbd-38_names.txt), with its class 0 'background' (unlabelled) ignored.
CLASS_NAMES = NYU40_CLASS_NAMES[:37]

_COMMON = dict(
    builder_module='transfer_datasets.sun_rgbd.sun_rgbd', domain='indoor',
    tasks=('segmentation', 'depth'), class_names=CLASS_NAMES, crop_size=(713, 713))

INFOS = (
    DatasetInfo(
        name='sun_rgbd', tfds_name='sun_rgbd/standard', **_COMMON,
        description='RGB-D frames of indoor scenes from four sensors: 37 classes and '
                    'depth (0.369-8 m); official 5285 train / 5050 test split.'),
    # As factors_of_influence/fids/sunrgbd.py (MSeg's sunrgbd-37 lists, the
    # 'segmentation' labels of sunrgbd-38, the depth PNGs decoded as the
    # toolbox) with its metadata's depth clip; read from the same download
    # plus MSeg's two list files. Not confirmed without the paper's files:
    # that its depth/ PNGs are the toolbox's depth_bfx ones and that MSeg's
    # image numbers count allsplit.mat's frames in order; sun_rgbd.py has
    # the details.
    DatasetInfo(
        name='sun_rgbd_foi', tfds_name='sun_rgbd/foi', **_COMMON,
        description="RGB-D frames of indoor scenes as the paper's builder: 37 classes, depth "
                    'clipped to 0.369-8 m; 5285 train / MSeg\'s 475 of the 5050 test frames.'),
)
