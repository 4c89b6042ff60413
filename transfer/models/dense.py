"""A dense-prediction model: backbone features at 1/4 resolution plus a task head."""

import flax.linen as nn
import jax.numpy as jnp
import numpy as np

# ImageNet statistics, in uint8 units (numpy: a jax array made at import
# would start a backend before jax.distributed.initialize could run).
_MEAN = np.array([0.485, 0.456, 0.406], np.float32) * 255
_STD = np.array([0.229, 0.224, 0.225], np.float32) * 255


class DenseModel(nn.Module):
  """Parameters live under `backbone/...` and `head/...`: transfer rules match those."""
  backbone: nn.Module
  head: nn.Module

  def features(self, image, train: bool = False):
    """The backbone's features of uint8 images: what the head sees."""
    return self.backbone((image.astype(jnp.float32) - _MEAN) / _STD, train=train)

  def features_and_outputs(self, image):
    """(features, head outputs) in inference mode, in one pass."""
    features = self.features(image)
    return features, self.head(features, train=False)

  def __call__(self, image, train: bool = False):
    return self.head(self.features(image, train), train=train)
