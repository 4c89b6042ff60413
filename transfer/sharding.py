"""Device mesh and parameter shardings from regex rules."""

import re

import jax
from jax.sharding import NamedSharding, PartitionSpec as P

DATA_AXIS = 'data'


def make_mesh() -> jax.sharding.Mesh:
  """A 1-D mesh over every device of every process; the batch is split over it."""
  return jax.make_mesh((jax.device_count(),), (DATA_AXIS,),
                       axis_types=(jax.sharding.AxisType.Auto,))


def path_name(path) -> str:
  """'params/backbone/stem_conv1/kernel' for a jax key path."""
  parts = []
  for key in path:
    for attr in ('key', 'name', 'idx'):
      if hasattr(key, attr):
        parts.append(str(getattr(key, attr)))
        break
  return '/'.join(parts)


def tree_shardings(tree, rules, mesh):
  """A NamedSharding per leaf: the first (regex, spec) rule whose regex
  matches the leaf's path name decides; unmatched leaves are replicated."""
  compiled = [(re.compile(regex), P(*spec)) for regex, spec in rules]

  def sharding(path, _):
    name = path_name(path)
    for regex, spec in compiled:
      if regex.search(name):
        return NamedSharding(mesh, spec)
    return NamedSharding(mesh, P())

  return jax.tree_util.tree_map_with_path(sharding, tree)


def batch_sharding(mesh):
  return NamedSharding(mesh, P(DATA_AXIS))


def replicated(mesh):
  return NamedSharding(mesh, P())
