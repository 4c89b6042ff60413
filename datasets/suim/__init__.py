"""SUIM: semantic segmentation of underwater imagery (8 classes), as our
definition and as the Factors of Influence paper's builder defines it (7
classes; two catalogue entries, one builder with two configs)."""

from transfer.data.catalog import DatasetInfo

# Id order = the 3-bit RGB code of the official masks (R is the high bit):
# 000 BW, 001 HD, 010 PF, 011 WR, 100 RO, 101 RI, 110 FV, 111 SR.
CLASS_NAMES = (
    'background waterbody', 'human divers', 'aquatic plants and sea-grass',
    'wrecks and ruins', 'robots and instruments', 'reefs and invertebrates',
    'fish and vertebrates', 'sea-floor and rocks')
# The paper's classes 1..7 (factors_of_influence/fids/suim.py, SUIM_LABELS),
# with its names: codes 001..111; its class 0 'background' (waterbody, 000,
# and every other colour) is ignored, so our class c is its c + 1.
FOI_CLASS_NAMES = (
    'HD: Human divers', 'PF: Plants/sea-grass', 'WR: Wrecks/ruins',
    'RO: Robots/instruments', 'RI: Reefs and invertebrates', 'FV: Fish and vertebrates',
    'SR: Sand/sea-floor (& rocks)')

_COMMON = dict(
    builder_module='transfer_datasets.suim.suim', domain='underwater',
    tasks=('segmentation',), crop_size=(713, 713),
    # SUIM has no validation set: the official 110-image TEST set is ours.
    train_split='train', eval_split='validation')

INFOS = (
    DatasetInfo(
        name='suim', tfds_name='suim/standard', class_names=CLASS_NAMES, **_COMMON,
        description='Underwater photos (divers, fish, reefs, wrecks, robots), 8 classes.'),
    # As factors_of_influence/fids/suim.py: exact colours, waterbody and
    # off-colours ignored; the same download and splits. suim.py's docstring
    # has the details.
    DatasetInfo(
        name='suim_foi', tfds_name='suim/foi', class_names=FOI_CLASS_NAMES, **_COMMON,
        description="Underwater photos (divers, fish, reefs, wrecks, robots), 7 classes as "
                    "the paper's builder (exact mask colours; waterbody and other colours "
                    'ignored).'),
)
