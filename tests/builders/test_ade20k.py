import numpy as np

import builder_testing
from transfer_datasets.ade20k import ade20k


class Ade20kTest(builder_testing.BuilderTest):
  DATASET_CLASS = ade20k.Ade20k
  SPLITS = {'train': 2, 'validation': 1}

  def test_labels_shift_by_one_and_other_is_ignored(self):
    # make_dummy_data: image i of a folder has value i + 2 in columns 16-23.
    for split, values in (('train', [2, 3]), ('validation', [2])):
      found = []
      for ex in self.examples(split):
        seg = ex['segmentation'][..., 0]
        assert ex['has_segmentation'] and not ex['has_depth']
        assert ex['image'].shape == (24, 32, 3)
        np.testing.assert_array_equal(seg[:12], 0)          # wall 1
        np.testing.assert_array_equal(seg[12:, :16], 149)   # flag 150
        np.testing.assert_array_equal(seg[12:, 24:], 255)   # other 0
        np.testing.assert_array_equal(seg[12:, 16:24], seg[12, 16])
        found.append(int(seg[12, 16]))
      assert sorted(found) == values
