"""Virtual Gallery (vGallery, NAVER LABS Europe): synthetic art-gallery frames."""

from transfer.data.catalog import DatasetInfo

# The 9 classes of the release's colour-coded class maps (black background
# is void); see vgallery.py for the colours.
CLASS_NAMES = ('wall', 'ceiling', 'sky', 'door', 'light', 'floor', 'misc',
               'painting', 'human')

INFOS = (DatasetInfo(
    name='vgallery', tfds_name='vgallery',
    builder_module='transfer_datasets.vgallery.vgallery',
    domain='synthetic', tasks=('segmentation', 'depth'), class_names=CLASS_NAMES,
    crop_size=(576, 1024),
    train_split='train', eval_split='validation',
    description='Unity renders of a virtual art gallery; 9 classes and depth.'),)
