"""Device mesh and the shardings of batches and train state (a stage's `sharding`)."""

import math
import re

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from transfer.errors import UserError

DATA_AXIS, MODEL_AXIS = 'data', 'model'
AXES = (DATA_AXIS, MODEL_AXIS)
STRATEGIES = ('data_parallel', 'fsdp')


def make_mesh(model_axis: int = 1, devices=None, where: str = 'config') -> Mesh:
  """A (data, model) mesh of shape (n // model_axis, model_axis) over `devices`
  (default: every device of every process, ordered by jax.make_mesh); the
  devices of one model-axis row belong to one process, so each process's
  batch rows are whole. `where` is the stage's config key."""
  count = jax.device_count() if devices is None else len(devices)
  if model_axis < 1 or count % model_axis or jax.local_device_count() % model_axis:
    raise UserError(
        f'sharding.model_axis={model_axis} must be at least 1 and divide the {count} devices '
        f'({jax.local_device_count()} per process).', where=f'{where}.sharding.model_axis',
        fix='use 1 or a divisor of the number of devices per process.')
  shape, types = (count // model_axis, model_axis), (jax.sharding.AxisType.Auto,) * 2
  if devices is None:
    return jax.make_mesh(shape, AXES, axis_types=types)
  return Mesh(np.array(devices).reshape(shape), AXES, axis_types=types)


def path_name(path) -> str:
  """'params/backbone/stem_conv1/kernel' for a jax key path."""
  parts = []
  for key in path:
    for attr in ('key', 'name', 'idx'):
      if hasattr(key, attr):
        parts.append(str(getattr(key, attr)))
        break
  return '/'.join(parts)


def _axes(dim) -> tuple:
  """The mesh axes of one PartitionSpec entry (None, a name or a tuple of names)."""
  return () if dim is None else dim if isinstance(dim, tuple) else (dim,)


def _rule(rule, where: str):
  """(compiled regex, PartitionSpec) of one (regex, spec) rule, or UserError."""
  fix = ("write rules as ((regex, spec), ...), each spec entry None, 'data', 'model' or a "
         "tuple of those, e.g. (('conv/kernel', (None, None, None, 'model')),).")
  if not (isinstance(rule, (tuple, list)) and len(rule) == 2 and isinstance(rule[0], str)
          and isinstance(rule[1], (tuple, list))):
    raise UserError(f'Sharding rule {rule!r} is not a (regex, spec) pair.', where=where, fix=fix)
  try:
    regex = re.compile(rule[0])
  except re.error as e:
    raise UserError(f'Sharding rule {rule!r}: bad regex ({e}).', where=where, fix=fix) from e
  dims = [tuple(d) if isinstance(d, list) else d for d in rule[1]]
  axes = [a for d in dims for a in _axes(d)]
  if any(a not in AXES for a in axes) or len(set(axes)) < len(axes):
    raise UserError(f'Sharding rule {rule!r} names an unknown axis or one axis twice.',
                    where=where, fix=fix)
  return regex, P(*dims)


def _check_fits(name, shape, spec, rule, mesh, where: str):
  """UserError unless `spec` fits an array `name` of `shape` on `mesh`."""
  sizes = [math.prod(mesh.shape[a] for a in _axes(d)) for d in spec]
  bad = [i for i, (n, s) in enumerate(zip(shape, sizes)) if n % s]
  if len(spec) > len(shape) or bad:
    problem = (f'its spec has {len(spec)} dimensions' if len(spec) > len(shape) else
               f'dimension {bad[0]} is not divisible by {sizes[bad[0]]} devices')
    raise UserError(
        f'Sharding rule {rule!r} does not fit {name} of shape {shape} on the mesh '
        f'{dict(mesh.shape)}: {problem}.', where=where,
        fix="change the rule's regex or spec, or sharding.model_axis.")


def state_shardings(abstract_state, config, mesh, where: str):
  """A NamedSharding per leaf of a state of arrays or ShapeDtypeStructs, as the
  `config` (a stage's `sharding` section; `where` is the stage's key) says:
  the first rule whose regex matches (re.search) the leaf's path name gives
  its spec; else, with strategy 'fsdp', a leaf of at least fsdp_min_size
  elements is split over the data axis along its largest dimension the axis
  divides (the last of equals); else it is replicated."""
  where = f'{where}.sharding'
  if config.strategy not in STRATEGIES:
    raise UserError(f'Unknown sharding.strategy {config.strategy!r}.',
                    where=f'{where}.strategy', fix="use 'data_parallel' or 'fsdp'.")
  if config.fsdp_min_size < 0:
    raise UserError(f'sharding.fsdp_min_size={config.fsdp_min_size} is negative.',
                    where=f'{where}.fsdp_min_size', fix='use a size >= 0 (elements).')
  rules = [(rule, *_rule(rule, f'{where}.rules')) for rule in config.rules]
  data = mesh.shape[DATA_AXIS]

  def sharding(path, leaf):
    name, shape = path_name(path), tuple(leaf.shape)
    for rule, regex, spec in rules:
      if regex.search(name):
        _check_fits(name, shape, spec, rule, mesh, f'{where}.rules')
        return NamedSharding(mesh, spec)
    dims = [i for i, n in enumerate(shape) if n % data == 0]
    if config.strategy == 'fsdp' and math.prod(shape) >= config.fsdp_min_size and dims:
      dim = max(dims, key=lambda i: (shape[i], i))
      return NamedSharding(mesh, P(*(DATA_AXIS if i == dim else None for i in range(dim + 1))))
    return NamedSharding(mesh, P())

  return jax.tree_util.tree_map_with_path(sharding, abstract_state)


def batch_sharding(mesh):
  """Batch rows split over the data axis, replicated over the model axis."""
  return NamedSharding(mesh, P(DATA_AXIS))


def replicated(mesh):
  return NamedSharding(mesh, P())
