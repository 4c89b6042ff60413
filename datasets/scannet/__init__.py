"""ScanNet v2, the 2D frames (scannet_frames_25k): indoor scans, NYU40 segmentation."""

from transfer.data.catalog import DatasetInfo
from transfer_datasets.nyu_depth_v2 import CLASS_NAMES as NYU40_CLASS_NAMES

# The NYU40 classes (`nyu40class` of scannetv2-labels.combined.tsv, the
# ScanNet benchmark's label set), in id order: NYU40 class k is id k - 1.
CLASS_NAMES = NYU40_CLASS_NAMES

INFOS = (DatasetInfo(
    name='scannet', tfds_name='scannet_frames',
    builder_module='transfer_datasets.scannet.scannet_frames',
    domain='indoor', tasks=('segmentation',), class_names=CLASS_NAMES,
    crop_size=(713, 713),
    description='RGB-D video frames of indoor scans (every ~100th frame), '
                '40 NYU classes; official scene split (1201 train / 312 val scenes).'),)
