"""IDD (India Driving Dataset), segmentation part: Indian roads, in 26 level-3 classes and
as the Factors of Influence paper's builder defines it, 34 classes (two catalogue entries,
one builder with two configs)."""

from transfer.data.catalog import DatasetInfo

# IDD's level-3 ids 0..25 (AutoNUE public-code, evaluate_mIoU.py), in id order.
CLASS_NAMES = (
    'road', 'drivable fallback', 'sidewalk', 'non-drivable fallback', 'person',
    'rider', 'motorcycle', 'bicycle', 'autorickshaw', 'car', 'truck', 'bus',
    'vehicle fallback', 'curb', 'wall', 'fence', 'guard rail', 'billboard',
    'traffic sign', 'traffic light', 'pole', 'obs-str-bar-fallback', 'building',
    'bridge', 'vegetation', 'sky')
# IDD's 40 labels by their finest id, `id` 0..39 (AutoNUE helpers/anue_labels.py), in
# id order: MSeg's idd-40 (dataset_lists/idd-40/idd-40_names.txt lists the same).
LABEL_NAMES = (
    'road', 'parking', 'drivable fallback', 'sidewalk', 'rail track',
    'non-drivable fallback', 'person', 'animal', 'rider', 'motorcycle', 'bicycle',
    'autorickshaw', 'car', 'truck', 'bus', 'caravan', 'trailer', 'train',
    'vehicle fallback', 'curb', 'wall', 'fence', 'guard rail', 'billboard',
    'traffic sign', 'traffic light', 'pole', 'polegroup', 'obs-str-bar-fallback',
    'building', 'bridge', 'tunnel', 'vegetation', 'sky', 'fallback background',
    'unlabeled', 'ego vehicle', 'rectification border', 'out of roi', 'license plate')
# Labels the paper's builder folds into its class 0 'background'
# (factors_of_influence/fids/indian_driving_dataset.py); ignored here.
FOI_BACKGROUND = ('unlabeled', 'out of roi', 'train', 'ego vehicle', 'rectification border',
                  'license plate')
# The paper's classes 1..34 (fids_metadata_segmentation.py, fids_idd, without
# 'background'): our class c is its c + 1.
FOI_CLASS_NAMES = tuple(name for name in LABEL_NAMES if name not in FOI_BACKGROUND)

_COMMON = dict(builder_module='transfer_datasets.idd.idd', domain='driving',
               tasks=('segmentation',), crop_size=(624, 832))

INFOS = (
    DatasetInfo(
        name='idd', tfds_name='idd/level3', class_names=CLASS_NAMES, **_COMMON,
        description='Dash-camera scenes of Indian roads, 26 level-3 classes.'),
    # As factors_of_influence/fids/indian_driving_dataset.py (MSeg's idd-40
    # labels, through fids/mseg_base.py): drawn from the same polygons. Not
    # confirmed without MSeg's files: that its label PNGs are those its
    # dump_idd_semantic_labels.py draws; idd.py's docstring has the details.
    DatasetInfo(
        name='idd_foi', tfds_name='idd/foi', class_names=FOI_CLASS_NAMES, **_COMMON,
        description="Dash-camera scenes of Indian roads, 34 classes as the paper's builder "
                    "(IDD's 40 label ids without 6 background labels, 'train' among them)."),
)
