"""Procedural 3D scenes with exact labels for segmentation, depth, boxes and
keypoints, rendered in several appearance domains (`render`), and the TFDS
builder around them (`synthetic`)."""
