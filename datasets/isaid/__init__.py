"""iSAID: aerial images (DOTA-v1.0) with semantic masks of 15 object classes,
as our definition and as the Factors of Influence paper's builder defines it
(two catalogue entries, one builder with two configs)."""

from transfer.data.catalog import DatasetInfo

# Class id c is the c-th colour of the iSAID devkit's colour table (see
# isaid.py); 0 is the background (black in the masks), a trained class.
CLASS_NAMES = (
    'background', 'ship', 'storage tank', 'baseball diamond', 'tennis court',
    'basketball court', 'ground track field', 'bridge', 'large vehicle',
    'small vehicle', 'helicopter', 'swimming pool', 'roundabout',
    'soccer ball field', 'plane', 'harbor')
# The paper's classes 1..15 (factors_of_influence/fids/isaid.py, ISAID_LABELS),
# with its names; its class 0 'unlabeled' (black, and unmatched colours) is
# ignored, so our class c is its c + 1.
FOI_CLASS_NAMES = (
    'ship', 'storage_tank', 'baseball_diamond', 'tennis_court', 'basketball_court',
    'Ground_Track_Field', 'Bridge', 'Large_Vehicle', 'Small_Vehicle', 'Helicopter',
    'Swimming_pool', 'Roundabout', 'Soccer_ball_field', 'plane', 'Harbor')

_COMMON = dict(builder_module='transfer_datasets.isaid.isaid', domain='aerial',
               tasks=('segmentation',), crop_size=(713, 713))

INFOS = (
    DatasetInfo(
        name='isaid', tfds_name='isaid/standard', class_names=CLASS_NAMES, **_COMMON,
        description='Satellite/aerial images (DOTA) in 800x800 tiles, 15 object '
                    'classes + background.'),
    # As factors_of_influence/fids/isaid.py reads the patches of
    # preprocess/isaid_split.py (image_generate_patches.create_patches): from
    # the same download; isaid.py's docstring has the details.
    DatasetInfo(
        name='isaid_foi', tfds_name='isaid/foi', class_names=FOI_CLASS_NAMES, **_COMMON,
        description="Satellite/aerial images (DOTA) in 800x800 tiles as the paper's builder "
                    '(an image under 800 px on a side kept whole), 15 object classes '
                    '(background ignored).'),
)
