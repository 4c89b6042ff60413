import numpy as np

import builder_testing
from transfer_datasets.ade20k import ade20k


class Ade20kTest(builder_testing.BuilderTest):
  DATASET_CLASS = ade20k.Ade20k
  SPLITS = {'train': 2, 'validation': 1}

  def test_labels_shift_by_one_and_other_is_ignored(self):
    for ex in self.examples('validation'):
      seg = ex['segmentation'][..., 0]
      assert ex['has_segmentation'] and not ex['has_depth']
      np.testing.assert_array_equal(seg[:12], 0)         # wall
      np.testing.assert_array_equal(seg[12:, :16], 149)  # flag
      np.testing.assert_array_equal(seg[12:, 16:], 2)    # value 3 -> class 2
      assert ex['image'].shape == (24, 32, 3)
