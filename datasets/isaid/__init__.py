"""iSAID: aerial images (DOTA-v1.0) with semantic masks of 15 object classes."""

from transfer.data.catalog import DatasetInfo

# Class id c is the c-th colour of the iSAID devkit's colour table (see
# isaid.py); 0 is the background (black in the masks), a trained class.
CLASS_NAMES = (
    'background', 'ship', 'storage tank', 'baseball diamond', 'tennis court',
    'basketball court', 'ground track field', 'bridge', 'large vehicle',
    'small vehicle', 'helicopter', 'swimming pool', 'roundabout',
    'soccer ball field', 'plane', 'harbor')

INFOS = (DatasetInfo(
    name='isaid', tfds_name='isaid', builder_module='transfer_datasets.isaid.isaid',
    domain='aerial', tasks=('segmentation',), class_names=CLASS_NAMES,
    crop_size=(713, 713),
    description='Satellite/aerial images (DOTA) in 800x800 tiles, 15 object '
                'classes + background.'),)
