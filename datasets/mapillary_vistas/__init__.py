"""Mapillary Vistas v1.2: street-level photos from around the world, 65-class
segmentation."""

from transfer.data.catalog import DatasetInfo

# The 65 classes of Mapillary Vistas v1.2 (the "readable" names of
# config_v1.2.json, in label-index order); index 65, "Unlabeled", is void.
# The builder checks the download's config against this list.
CLASS_NAMES = (
    'Bird', 'Ground Animal', 'Curb', 'Fence', 'Guard Rail', 'Barrier', 'Wall',
    'Bike Lane', 'Crosswalk - Plain', 'Curb Cut', 'Parking', 'Pedestrian Area',
    'Rail Track', 'Road', 'Service Lane', 'Sidewalk', 'Bridge', 'Building',
    'Tunnel', 'Person', 'Bicyclist', 'Motorcyclist', 'Other Rider',
    'Lane Marking - Crosswalk', 'Lane Marking - General', 'Mountain', 'Sand',
    'Sky', 'Snow', 'Terrain', 'Vegetation', 'Water', 'Banner', 'Bench',
    'Bike Rack', 'Billboard', 'Catch Basin', 'CCTV Camera', 'Fire Hydrant',
    'Junction Box', 'Mailbox', 'Manhole', 'Phone Booth', 'Pothole',
    'Street Light', 'Pole', 'Traffic Sign Frame', 'Utility Pole',
    'Traffic Light', 'Traffic Sign (Back)', 'Traffic Sign (Front)', 'Trash Can',
    'Bicycle', 'Boat', 'Bus', 'Car', 'Caravan', 'Motorcycle', 'On Rails',
    'Other Vehicle', 'Trailer', 'Truck', 'Wheeled Slow', 'Car Mount',
    'Ego Vehicle')

INFOS = (DatasetInfo(
    name='mapillary_vistas', tfds_name='mapillary_vistas',
    builder_module='transfer_datasets.mapillary_vistas.mapillary_vistas',
    domain='driving', tasks=('segmentation',), class_names=CLASS_NAMES,
    crop_size=(768, 1024),
    description='Street-level photos from six continents, 65 classes (v1.2 labels).'),)
