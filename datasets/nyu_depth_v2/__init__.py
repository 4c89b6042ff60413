"""NYU Depth v2, the labelled set: indoor RGB-D frames, depth and segmentation."""

from transfer.data.catalog import DatasetInfo

INFOS = (DatasetInfo(
    name='nyu_depth_v2', tfds_name='nyu_depth_v2_labeled',
    builder_module='transfer_datasets.nyu_depth_v2.nyu_depth_v2_labeled',
    domain='indoor', tasks=('depth',), crop_size=(480, 640),
    description='Kinect RGB-D frames of indoor scenes, dense depth.'),)
