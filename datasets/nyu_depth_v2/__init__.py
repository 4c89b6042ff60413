"""NYU Depth v2, the labelled set: indoor RGB-D frames, depth and segmentation."""

from transfer.data.catalog import DatasetInfo

# The NYU40 classes of Gupta et al. (CVPR 2013), `className` of
# classMapping40.mat, in id order (NYU40 class k is id k - 1).
CLASS_NAMES = (
    'wall', 'floor', 'cabinet', 'bed', 'chair', 'sofa', 'table', 'door', 'window',
    'bookshelf', 'picture', 'counter', 'blinds', 'desk', 'shelves', 'curtain',
    'dresser', 'pillow', 'mirror', 'floor mat', 'clothes', 'ceiling', 'books',
    'refridgerator', 'television', 'paper', 'towel', 'shower curtain', 'box',
    'whiteboard', 'person', 'night stand', 'toilet', 'sink', 'lamp', 'bathtub', 'bag',
    'otherstructure', 'otherfurniture', 'otherprop')

INFOS = (DatasetInfo(
    name='nyu_depth_v2', tfds_name='nyu_depth_v2_labeled',
    builder_module='transfer_datasets.nyu_depth_v2.nyu_depth_v2_labeled',
    domain='indoor', tasks=('depth', 'segmentation'), class_names=CLASS_NAMES,
    crop_size=(480, 640),
    description='Kinect RGB-D frames of indoor scenes: dense depth and 40 classes '
                '(795 train / 654 test).'),)
