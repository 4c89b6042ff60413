"""The interface between the generic training loop and a task type.

The loop knows nothing task-specific: it asks the Task for a head, which batch
keys to load, a loss, and sufficient statistics for evaluation. Statistics are
sums over the (global) batch computed inside the jitted eval step, so they
accumulate across batches and hosts by plain addition, and padded examples
(`batch['_valid'] == False`) never count.
"""

import abc

import flax.linen as nn
import jax
import jax.numpy as jnp


class Task(abc.ABC):
  annotation: str          # the example annotation this task learns.
  metric: str              # the headline metric name.
  higher_is_better: bool

  def __init__(self, config, dataset):
    self.config = config
    self.dataset = dataset

  @property
  def batch_keys(self) -> tuple[str, ...]:
    """Example keys (besides 'image') the input pipeline must provide."""
    return (self.annotation,)

  @abc.abstractmethod
  def head(self) -> nn.Module:
    """The head on top of the backbone's 1/4-resolution features."""

  @abc.abstractmethod
  def loss(self, outputs, batch) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Scalar loss and named scalars to log."""

  @abc.abstractmethod
  def predict(self, outputs, batch) -> dict[str, jax.Array]:
    """Predictions at the resolution of the batch's labels."""

  @abc.abstractmethod
  def eval_stats(self, predictions, batch) -> dict[str, jax.Array]:
    """Sums over the valid part of a batch; added up across batches."""

  @abc.abstractmethod
  def metrics(self, stats) -> dict[str, float]:
    """Final metrics from accumulated statistics (host side, numpy)."""


class ConvHead(nn.Module):
  """conv3x3-BN-ReLU then a 1x1 projection to `outputs` channels."""
  outputs: int
  features: int = 64

  @nn.compact
  def __call__(self, x, train: bool = False):
    x = nn.Conv(self.features, (3, 3), use_bias=False)(x)
    x = nn.relu(nn.BatchNorm(use_running_average=not train, momentum=0.9)(x))
    return nn.Conv(self.outputs, (1, 1))(x)


def resize_to(x, like):
  """Bilinear resize of [B, h, w, C] to the spatial size of `like` [B, H, W, ...]."""
  return jax.image.resize(x, (x.shape[0], *like.shape[1:3], x.shape[-1]),
                          'bilinear')


def example_mask(batch, shape):
  """Broadcast of the per-example validity flag to `shape` ([B, ...])."""
  valid = batch.get('_valid', jnp.ones(shape[:1], bool))
  return jnp.broadcast_to(valid.reshape((-1,) + (1,) * (len(shape) - 1)), shape)
