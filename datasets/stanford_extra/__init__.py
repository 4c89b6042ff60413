"""StanfordExtra: 20 keypoints and a silhouette per dog on Stanford Dogs
images (close-ups, one dog per image). Two catalogue entries share one builder
(`stanford_extra.StanfordExtra`, one config each): `stanford_extra` (v1.2 on
its official splits) and `stanford_extra_foi` (v1 on the Stanford Dogs lists,
as the Factors of Influence paper's builder)."""

from transfer.data.catalog import DatasetInfo

# StanfordExtra's keypoint_definitions.csv, rows 0..19 (rows 20..23, the
# eyes, withers and throat, are never labelled in StanfordExtra).
KEYPOINT_NAMES = (
    'left_front_paw', 'left_front_middle', 'left_front_top',
    'left_rear_paw', 'left_rear_middle', 'left_rear_top',
    'right_front_paw', 'right_front_middle', 'right_front_top',
    'right_rear_paw', 'right_rear_middle', 'right_rear_top',
    'tail_start', 'tail_end', 'left_ear_base', 'right_ear_base',
    'nose', 'chin', 'left_ear_tip', 'right_ear_tip')

_COMMON = dict(
    builder_module='transfer_datasets.stanford_extra.stanford_extra',
    domain='close-ups', tasks=('boxes', 'keypoints'), class_names=('dog',),
    # datasets.md gives no crop; the images are at most about 500 px.
    crop_size=(512, 512),
    num_keypoints=20,
    # Left and right legs, ear bases and ear tips swap.
    keypoint_flip_map=(6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5,
                       12, 13, 15, 14, 16, 17, 19, 18),
    # Each leg paw-middle-top, the body sides (front top to rear top), rear
    # tops to the tail start, the tail, ear base to tip, ear bases to the
    # nose, nose to chin.
    keypoint_skeleton=((0, 1), (1, 2), (3, 4), (4, 5), (6, 7), (7, 8),
                       (9, 10), (10, 11), (2, 5), (8, 11), (5, 12), (11, 12),
                       (12, 13), (14, 18), (15, 19), (14, 16), (15, 16),
                       (16, 17)),
    # No official sigmas. Legs as in the Animal-Pose sigmas that MMPose
    # adapted from COCO (top/elbow .107, middle/knee .087, paw .089); tail
    # points .10 (its tail base); nose .026 and ears .035 (COCO's nose and
    # ears), chin and ear tips .035 like the ears.
    oks_sigmas=(0.089, 0.087, 0.107) * 4 + (0.10, 0.10, 0.035, 0.035,
                                            0.026, 0.035, 0.035, 0.035),
    single_instance=True)

INFOS = (
    DatasetInfo(
        name='stanford_extra', tfds_name='stanford_extra/v12', **_COMMON,
        train_split='train', eval_split='validation',
        description='Dogs of 120 breeds (Stanford Dogs images), 20 keypoints '
                    'and a silhouette per dog (StanfordExtra v1.2 and its splits).'),
    # As the Factors of Influence paper's builder defines it
    # (factors_of_influence/fids/stanford_dogs.py): StanfordExtra_v1.json on
    # Stanford Dogs' train_list.mat / test_list.mat, evaluated on test (it has
    # no validation split); the same 20 keypoints and (invented) sigmas; the box
    # img_bbox kept (it stores none, our keypoint task needs one), no
    # silhouettes. Not confirmed without the v1 file: its entry count and joint
    # layout (taken from the repository's samples). stanford_extra.py has the
    # details.
    DatasetInfo(
        name='stanford_extra_foi', tfds_name='stanford_extra/foi', **_COMMON,
        train_split='train', eval_split='test',
        description="Dogs of 120 breeds, 20 keypoints per dog as the paper's builder "
                    '(StanfordExtra v1 on the Stanford Dogs train / test lists), '
                    'with the annotated box.'),
)
