"""ISPRS 2D semantic labelling benchmark: Potsdam and Vaihingen aerial tiles."""

from transfer.data.catalog import DatasetInfo

# The benchmark's six classes in its usual order; colours in isprs.py.
CLASS_NAMES = ('impervious surfaces', 'building', 'low vegetation', 'tree', 'car',
               'clutter')

_COMMON = dict(builder_module='transfer_datasets.isprs.isprs', domain='aerial',
               tasks=('segmentation',), class_names=CLASS_NAMES, crop_size=(713, 713))

INFOS = (
    DatasetInfo(
        name='isprs_potsdam', tfds_name='isprs/potsdam', **_COMMON,
        description='Potsdam true orthophotos (RGB, 5 cm) in 800x800 tiles, '
                    '6 land-cover classes.'),
    DatasetInfo(
        name='isprs_vaihingen', tfds_name='isprs/vaihingen', **_COMMON,
        description='Vaihingen true orthophotos (IR-R-G false colour, 9 cm) in '
                    '800x800 tiles, 6 land-cover classes.'),
)
