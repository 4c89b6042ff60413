"""MPII Human Pose: everyday-activity photos, 16 body joints per person,
several people per image."""

from transfer.data.catalog import DatasetInfo

# MPII's joint ids 0..15 (the `id` of annopoints.point), in that order.
KEYPOINT_NAMES = (
    'right_ankle', 'right_knee', 'right_hip', 'left_hip', 'left_knee',
    'left_ankle', 'pelvis', 'thorax', 'upper_neck', 'head_top',
    'right_wrist', 'right_elbow', 'right_shoulder', 'left_shoulder',
    'left_elbow', 'left_wrist')

INFOS = (DatasetInfo(
    name='mpii', tfds_name='mpii_human_pose',
    builder_module='transfer_datasets.mpii.mpii',
    domain='consumer', tasks=('keypoints',), class_names=('person',),
    # datasets.md gives no crop for MPII; COCO's (same domain, similar
    # image sizes) is used.
    crop_size=(713, 713),
    num_keypoints=16,
    # Left and right swap; pelvis, thorax, neck and head top stay.
    keypoint_flip_map=(5, 4, 3, 2, 1, 0, 6, 7, 8, 9, 15, 14, 13, 12, 11, 10),
    # Legs through the pelvis, spine to the head top, arms from the thorax.
    keypoint_skeleton=((0, 1), (1, 2), (2, 6), (6, 3), (3, 4), (4, 5),
                       (6, 7), (7, 8), (8, 9), (7, 12), (12, 11), (11, 10),
                       (7, 13), (13, 14), (14, 15)),
    # MPII defines no OKS sigmas. Joints COCO also has take COCO's sigma
    # (ankle .089, knee .087, hip .107, wrist .062, elbow .072, shoulder
    # .079); the pelvis takes the hip's; thorax, upper neck and head top take
    # .079, CrowdPose's sigma for its 'neck' and 'head' (top) joints.
    oks_sigmas=(0.089, 0.087, 0.107, 0.107, 0.087, 0.089, 0.107, 0.079,
                0.079, 0.079, 0.062, 0.072, 0.079, 0.079, 0.072, 0.062),
    single_instance=False,
    # Each person's head box, the scale of MPII's PCKh (zero where none).
    reference_box='head',
    # PCKh's total in the MPII literature: every joint but pelvis and thorax.
    pckh_keypoints=(0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15),
    train_split='train', eval_split='validation',
    description='People in YouTube frames of 410 activities, 16 body joints and a head '
                "box per person (multi-person); validation: the images of Tompson et "
                "al.'s 2958 persons (HRNet's valid.json)."),)
