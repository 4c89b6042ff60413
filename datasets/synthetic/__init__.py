"""Procedural 3D scenes with exact labels for segmentation, depth, boxes and
keypoints, rendered in several appearance domains (`render`), and the TFDS
builder around them (`synthetic`)."""

from transfer.data.catalog import DatasetInfo
from . import render

INFOS = tuple(
    DatasetInfo(
        name=f'synthetic_{domain}',
        tfds_name=f'synthetic_scenes/{domain}',
        builder_module='transfer_datasets.synthetic.synthetic',
        domain=f'synthetic-{domain}',
        tasks=('segmentation', 'depth', 'boxes', 'keypoints'),
        class_names=render.CLASS_NAMES,
        ignore_label=render.IGNORE_LABEL,
        crop_size=(128, 128),
        num_keypoints=len(render.KEYPOINT_NAMES),
        keypoint_flip_map=tuple(render.KEYPOINT_FLIP_MAP),
        # The top joined to each rim point, and the rim as a ring.
        keypoint_skeleton=((0, 1), (0, 2), (0, 3), (0, 4),
                           (1, 2), (2, 4), (4, 3), (3, 1)),
        # Sharp geometric points: about COCO's eyes and ears (0.025-0.035)
        # would be too strict for 1/4-resolution heads on 128x128 images;
        # 0.07 is near COCO's mean sigma.
        oks_sigmas=(0.07,) * len(render.KEYPOINT_NAMES),
        generated=True,
        description=f'Rendered ground-plane scenes, {domain} appearance (no download).')
    for domain in render.DOMAINS)
