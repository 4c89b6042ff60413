"""ISPRS 2D semantic labelling benchmark: Potsdam and Vaihingen aerial tiles."""

from transfer.data.catalog import DatasetInfo

# The benchmark's six classes in its usual order; colours in isprs.py.
CLASS_NAMES = ('impervious surfaces', 'building', 'low vegetation', 'tree', 'car',
               'clutter')
# The paper's classes 1..5 (factors_of_influence/fids/isprs.py, ISPRS_LABELS),
# with its names; its class 0 'background' (clutter, unmatched colours) is ignored.
FOI_CLASS_NAMES = ('impervious_surfaces', 'building', 'low_vegetation', 'tree', 'car')

_COMMON = dict(builder_module='transfer_datasets.isprs.isprs', domain='aerial',
               tasks=('segmentation',), crop_size=(713, 713))

INFOS = (
    DatasetInfo(
        name='isprs_potsdam', tfds_name='isprs/potsdam', class_names=CLASS_NAMES, **_COMMON,
        description='Potsdam true orthophotos (RGB, 5 cm) in 800x800 tiles, '
                    '6 land-cover classes.'),
    DatasetInfo(
        name='isprs_vaihingen', tfds_name='isprs/vaihingen', class_names=CLASS_NAMES,
        **_COMMON,
        description='Vaihingen true orthophotos (IR-R-G false colour, 9 cm) in '
                    '800x800 tiles, 6 land-cover classes.'),
    # As the Factors of Influence paper's builder defines ISPRS
    # (factors_of_influence/fids/isprs.py; tiles of preprocess/isprs_split.py and
    # image_generate_patches.py): one dataset of both cities, read from the
    # same archives. Not confirmed without the paper's files: that it read the
    # full (not eroded) labels and Potsdam's 2_Ortho_RGB, as its file names and
    # 'RGB' format suggest. isprs.py's docstring has the details.
    DatasetInfo(
        name='isprs_foi', tfds_name='isprs/foi', class_names=FOI_CLASS_NAMES, **_COMMON,
        description='Potsdam (train, 38 tiles) and Vaihingen (validation, 33 areas) as one '
                    "dataset, as the paper's builder: pseudo-RGB (R, G, (R+G)/2) in "
                    '800x800 tiles, 5 classes by exact colour (clutter ignored).'),
)
