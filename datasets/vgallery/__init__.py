"""Virtual Gallery (vGallery, NAVER LABS Europe): synthetic art-gallery frames,
as our definition and as the Factors of Influence paper's builder defines it
(two catalogue entries, one builder with two configs)."""

from transfer.data.catalog import DatasetInfo

# The 9 classes of the release's colour-coded class maps (black background
# is void); see vgallery.py for the colours.
CLASS_NAMES = ('wall', 'ceiling', 'sky', 'door', 'light', 'floor', 'misc',
               'painting', 'human')
# The paper's classes 1..9 (factors_of_influence/fids/vgallery.py,
# VGALLERY_LABELS), the same colours in the same order, with its names; its
# class 0 'Background' (black and unlisted colours) is ignored.
FOI_CLASS_NAMES = ('Wall', 'Ceiling', 'Sky', 'Door', 'Light', 'Floor', 'Misc', 'Painting',
                   'Human')

_COMMON = dict(
    builder_module='transfer_datasets.vgallery.vgallery', domain='synthetic',
    tasks=('segmentation', 'depth'), crop_size=(576, 1024), train_split='train',
    eval_split='validation')

INFOS = (
    DatasetInfo(
        name='vgallery', tfds_name='vgallery/standard', class_names=CLASS_NAMES, **_COMMON,
        description='Unity renders of a virtual art gallery; 9 classes and depth.'),
    # As factors_of_influence/fids/vgallery.py: metres = cm / 100, clipped to
    # its metadata's 0.21-14.89 m (the saturated 655.35 m at 14.89 m, valid);
    # read from the same download. Not confirmed without the paper's files:
    # its frame lists (train_all.txt / test_all.txt, not released); vgallery.py
    # has the details.
    DatasetInfo(
        name='vgallery_foi', tfds_name='vgallery/foi', class_names=FOI_CLASS_NAMES,
        **_COMMON,
        description="Unity renders of a virtual art gallery as the paper's builder: 9 "
                    'classes, depth clipped to 0.21-14.89 m.'),
)
