"""KITTI semantic segmentation (the KITTI pixel-level benchmark), 19 or 32 classes.

Reads the official `data_semantics.zip` in place (not extracted):
  training/image_2/<nnnnnn>_10.png   8-bit RGB frames (about 375x1242)
  training/semantic/<nnnnnn>_10.png  8-bit grey PNGs of Cityscapes label ids
(`training/semantic_rgb/`, `training/instance/` and the unlabelled
`testing/image_2/` are not read). The labels follow Cityscapes' conventions,
so both configs map them exactly as the `cityscapes` builder's configs of the
same names do (`cityscapes_fine.LABEL_MAPS`):

`train_ids` (catalogue `kitti_segmentation`): the 19 Cityscapes train ids
  (`cityscapes_fine.TRAIN_IDS`: road 7 -> 0, ..., bicycle 33 -> 18; every
  other id, e.g. unlabeled 0, out of roi 3, parking 9, and values above 33,
  becomes the ignore label 255).
`foi` (catalogue `kitti_segmentation_foi`): as the Factors of Influence
  paper's builder, `factors_of_influence/fids/kitti.py` (google-research),
  through `fids/mseg_base.py`: its `segmentation` feature reads MSeg's
  `kitti-34` labels (mseg-api `dataset_lists/kitti-34/list/*.txt` lists
  these `training/semantic/` PNGs), whose name list `kitti-34_names.txt` is
  Cityscapes' 34 label ids in id order, and drops 'unlabeled' (0) and 'out
  of roi' (3) into its class 0 'background'. Background (and any value above
  33) is the ignore label 255, the other 32 ids classes 0..31
  (`cityscapes_fine.FOI_IDS`: ego vehicle 1 -> 0, ..., bicycle 33 -> 31),
  the classes of `cityscapes_foi`.

Splits (both configs): only the 200 training frames have public labels.
`validation` is the 50 frames listed below, `train` the other 150: the split
of MSeg's KITTI lists (mseg-api `dataset_lists/kitti-34/list/{train,val}.txt`),
which the paper's builder reads (its images come from the `kitti-19` lists,
whose val list names the same 50 frames).

TFDS's `kitti` builder reads the object-detection archives (data_object_*),
not data_semantics.zip, so this builder is our own. The zip is read with the
`builders.ZipArchive`.
"""

import tensorflow_datasets as tfds

from transfer.data import builders
from transfer_datasets.cityscapes_fine import cityscapes_fine

_ZIP = 'data_semantics.zip'

# Frame numbers of MSeg's KITTI validation list (kitti-34/list/val.txt).
VALIDATION_FRAMES = frozenset((
    1, 3, 7, 8, 20, 22, 24, 25, 26, 30, 37, 43, 49, 50, 52, 57, 60, 61, 63,
    68, 71, 72, 76, 79, 86, 96, 101, 115, 121, 128, 129, 131, 133, 134, 137,
    139, 140, 141, 142, 144, 146, 149, 156, 157, 169, 175, 178, 190, 192, 196))


class KittiSegmentation(builders.ManualBuilder):
  """KITTI semantic segmentation (19 or 32 Cityscapes classes) in the project's example format."""

  BUILDER_CONFIGS = cityscapes_fine.LABEL_CONFIGS
  CATALOG_NAMES = {'train_ids': 'kitti_segmentation', 'foi': 'kitti_segmentation_foi'}
  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  MANUAL_DOWNLOAD_INSTRUCTIONS = f"""
  1. Register at http://www.cvlibs.net/datasets/kitti/ and download, from the
     semantic segmentation benchmark page
     (http://www.cvlibs.net/datasets/kitti/eval_semseg.php?benchmark=semantics2015),
     the labelled data of the semantic and instance segmentation
     benchmark: {_ZIP}.
  2. Put the zip, as downloaded (do not extract it), directly in the manual
     dir:
       <manual_dir>/{_ZIP}
     (it holds training/image_2/000000_10.png, training/semantic/000000_10.png,
     ...; manual_dir defaults to <data_dir>/downloads/manual/).
  3. python -m transfer.data.build kitti_segmentation --manual_dir=<manual_dir>
     python -m transfer.data.build kitti_segmentation_foi --manual_dir=<manual_dir>
     (the same zip serves both)
  """

  def _split_generators(self, dl_manager):
    path = self.manual_path(dl_manager, _ZIP)
    return {'train': self._generate_examples(path, validation=False),
            'validation': self._generate_examples(path, validation=True)}

  def _generate_examples(self, path, validation):
    ignore = self.dataset_info.ignore_label
    label_map = cityscapes_fine.LABEL_MAPS[self.builder_config.name]
    with builders.ZipArchive(path, self.MANUAL_DOWNLOAD_INSTRUCTIONS) as archive:
      images = archive.index(r'(?:^|/)training/image_2/((\d+)_\d+)\.png$')
      labels = archive.index(r'(?:^|/)training/semantic/((\d+)_\d+)\.png$')
      for (name, frame), image_member in sorted(images.items()):
        if (int(frame) in VALIDATION_FRAMES) != validation:
          continue
        label_member = labels.get((name, frame))
        if label_member is None:
          raise self.fail(path, f'has no member training/semantic/{name}.png')
        image = archive.image(image_member)
        label_ids = archive.labels(label_member)
        archive.check_size(label_member, label_ids, image)
        yield name, self.example(
            image, segmentation=builders.remap(label_ids, label_map, ignore))
