"""SUIM: semantic segmentation of underwater imagery (8 classes)."""

from transfer.data.catalog import DatasetInfo

# Id order = the 3-bit RGB code of the official masks (R is the high bit):
# 000 BW, 001 HD, 010 PF, 011 WR, 100 RO, 101 RI, 110 FV, 111 SR.
CLASS_NAMES = (
    'background waterbody', 'human divers', 'aquatic plants and sea-grass',
    'wrecks and ruins', 'robots and instruments', 'reefs and invertebrates',
    'fish and vertebrates', 'sea-floor and rocks')

INFOS = (DatasetInfo(
    name='suim', tfds_name='suim', builder_module='transfer_datasets.suim.suim',
    domain='underwater', tasks=('segmentation',), class_names=CLASS_NAMES,
    crop_size=(713, 713),
    # SUIM has no validation set: the official 110-image TEST set is ours.
    train_split='train', eval_split='validation',
    description='Underwater photos (divers, fish, reefs, wrecks, robots), 8 classes.'),)
