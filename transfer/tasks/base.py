"""The interface between the generic training loop and a task type.

The loop knows nothing task-specific: it asks the Task for a head, which
annotations to load, a loss, predictions, per-batch evaluation statistics
(computed inside the jitted eval step) and a host-side `Evaluator` that turns
the statistics of all batches into metrics. Padded examples
(`batch['_valid'] == False`) never count.

Dense tasks reduce each batch to sums (`SumEvaluator` adds them up in float64,
so they accumulate across batches and hosts by plain addition); object tasks
return per-example predictions and ground truth, and their evaluator collects
the valid examples (the eval step's outputs are replicated, so every host sees
the whole global batch).
"""

import abc
from typing import Callable, Protocol

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from transfer.models import conv as conv_lib


class Evaluator(Protocol):
  def update(self, stats: dict[str, np.ndarray]) -> None:
    """Adds one global batch of `Task.eval_stats` output (host numpy arrays)."""

  def result(self) -> dict[str, float]:
    """Metrics over everything added so far."""


class SumEvaluator:
  """Sums statistics over batches in float64, then applies `metrics_fn`."""

  def __init__(self, metrics_fn: Callable[[dict], dict[str, float]]):
    self._metrics_fn = metrics_fn
    self._totals = None

  def update(self, stats):
    stats = jax.tree.map(lambda x: np.asarray(x, np.float64), stats)
    self._totals = stats if self._totals is None else jax.tree.map(
        np.add, self._totals, stats)

  def result(self):
    return self._metrics_fn(self._totals)


class Task(abc.ABC):
  annotation: str          # the example annotation this task learns.
  metric: str              # the headline metric name.
  higher_is_better: bool

  def __init__(self, config, dataset):
    self.config = config
    self.dataset = dataset

  @property
  def fields(self) -> tuple[str, ...]:
    """Fields (transfer/data/fields.py) the task learns from; the pipeline
    adds the image and whatever these require."""
    return (self.annotation,)

  @abc.abstractmethod
  def head(self) -> nn.Module:
    """The head on top of the backbone's 1/4-resolution features."""

  @abc.abstractmethod
  def loss(self, outputs, batch) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Scalar loss and named scalars to log."""

  @abc.abstractmethod
  def predict(self, outputs, batch) -> dict[str, jax.Array]:
    """Predictions (dense ones at the resolution of the batch's labels)."""

  @abc.abstractmethod
  def eval_stats(self, predictions, batch) -> dict[str, jax.Array]:
    """What the evaluator needs from one batch (inside the jitted step)."""

  def metrics(self, stats) -> dict[str, float]:
    """Final metrics from summed statistics (tasks using SumEvaluator)."""
    raise NotImplementedError

  def evaluator(self) -> Evaluator:
    """A fresh host-side evaluator for one pass over the evaluation set."""
    return SumEvaluator(self.metrics)

  @abc.abstractmethod
  def visualize(self, image, predictions, batch) -> np.ndarray:
    """One example's prediction next to its ground truth, uint8 [H, W', 3].

    Arguments are host numpy arrays of a single example (no batch axis).
    """


class ConvHead(nn.Module):
  """conv3x3-BN-ReLU then a 1x1 projection to `outputs` channels."""
  outputs: int
  features: int = 64
  bias_init: float = 0.0
  dtype: jnp.dtype = jnp.float32  # computation; outputs are float32.
  conv: Callable = conv_lib.matmul_conv  # nn.Conv's conv_general_dilated.

  @nn.compact
  def __call__(self, x, train: bool = False):
    x = nn.Conv(self.features, (3, 3), use_bias=False, dtype=self.dtype,
                conv_general_dilated=self.conv)(x)
    x = nn.relu(nn.BatchNorm(use_running_average=not train, momentum=0.9,
                             dtype=self.dtype)(x))
    x = nn.Conv(self.outputs, (1, 1), dtype=self.dtype, conv_general_dilated=self.conv,
                bias_init=nn.initializers.constant(self.bias_init))(x)
    return x.astype(jnp.float32)


class ConvHeads(nn.Module):
  """Several ConvHeads on the same features: {name: (channels, bias_init)}."""
  outputs: dict[str, tuple[int, float]]
  features: int = 64
  dtype: jnp.dtype = jnp.float32
  conv: Callable = conv_lib.matmul_conv

  @nn.compact
  def __call__(self, x, train: bool = False):
    return {name: ConvHead(channels, self.features, bias, self.dtype, self.conv,
                           name=name)(x, train)
            for name, (channels, bias) in self.outputs.items()}


def resize_to(x, like):
  """Bilinear resize of [B, h, w, C] to the spatial size of `like` [B, H, W, ...]."""
  return jax.image.resize(x, (x.shape[0], *like.shape[1:3], x.shape[-1]),
                          'bilinear')


def example_mask(batch, shape):
  """Broadcast of the per-example validity flag to `shape` ([B, ...])."""
  valid = batch.get('_valid', jnp.ones(shape[:1], bool))
  return jnp.broadcast_to(valid.reshape((-1,) + (1,) * (len(shape) - 1)), shape)
