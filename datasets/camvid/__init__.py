"""CamVid: Cambridge driving video frames, 31 classes (the 32 of the release less Void)."""

from transfer.data.catalog import DatasetInfo

# The classes of CamVid's label_colors.txt in its order, less Void (0 0 0).
CLASS_NAMES = (
    'Animal', 'Archway', 'Bicyclist', 'Bridge', 'Building', 'Car',
    'CartLuggagePram', 'Child', 'Column_Pole', 'Fence', 'LaneMkgsDriv',
    'LaneMkgsNonDriv', 'Misc_Text', 'MotorcycleScooter', 'OtherMoving',
    'ParkingBlock', 'Pedestrian', 'Road', 'RoadShoulder', 'Sidewalk',
    'SignSymbol', 'Sky', 'SUVPickupTruck', 'TrafficCone', 'TrafficLight',
    'Train', 'Tree', 'Truck_Bus', 'Tunnel', 'VegetationMisc', 'Wall')

INFOS = (DatasetInfo(
    name='camvid', tfds_name='camvid',
    builder_module='transfer_datasets.camvid.camvid',
    domain='driving', tasks=('segmentation',), class_names=CLASS_NAMES,
    crop_size=(624, 832),
    description='Dash-camera video frames of Cambridge, 31 classes; '
    'SegNet 367/101/233 split.'),)
