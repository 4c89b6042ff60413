"""Parameter shardings from regex rules on the 8 fake CPU devices."""

import jax
import numpy as np
import pytest
from jax.sharding import PartitionSpec as P

from transfer import sharding


def _tree():
  arange = lambda *shape: np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
  return {'params': {'backbone': {'conv': {'kernel': arange(3, 16), 'bias': arange(16)},
                                  'norm': {'scale': arange(16)}},
                     'head': {'dense': {'kernel': arange(16, 8), 'bias': arange(8)}},
                     'blocks': [arange(4), arange(2, 8)]}}


def _specs(tree, rules):
  shardings = sharding.tree_shardings(tree, rules, sharding.make_mesh())
  return {sharding.path_name(path): s.spec
          for path, s in jax.tree_util.tree_flatten_with_path(shardings)[0]}


def test_path_names_join_dict_keys_and_list_indices():
  names = {sharding.path_name(path)
           for path, _ in jax.tree_util.tree_flatten_with_path(_tree())[0]}
  assert names == {'params/backbone/conv/kernel', 'params/backbone/conv/bias',
                   'params/backbone/norm/scale', 'params/head/dense/kernel',
                   'params/head/dense/bias', 'params/blocks/0', 'params/blocks/1'}


@pytest.mark.parametrize('kernel_rule_first', [True, False])
def test_first_matching_rule_decides_and_unmatched_leaves_are_replicated(
    kernel_rule_first):
  kernel, head = ('.*kernel', (None, 'data')), ('head/.*', ())
  rules = (kernel, head) if kernel_rule_first else (head, kernel)
  rules += (('conv/bias', ('data',)), ('blocks/1', ('data', None)))
  assert _specs(_tree(), rules) == {
      'params/backbone/conv/kernel': P(None, 'data'),
      'params/backbone/conv/bias': P('data'),
      'params/backbone/norm/scale': P(),  # unmatched.
      # Both the kernel and the head rule match; the first one listed wins.
      'params/head/dense/kernel': P(None, 'data') if kernel_rule_first else P(),
      'params/head/dense/bias': P(),
      'params/blocks/0': P(),  # unmatched.
      'params/blocks/1': P('data', None)}


def test_device_put_splits_a_kernel_over_the_data_axis():
  assert jax.device_count() == 8
  tree = _tree()
  mesh = sharding.make_mesh()
  shardings = sharding.tree_shardings(tree, (('conv/kernel', (None, 'data')),), mesh)
  host = tree['params']['backbone']['conv']
  placed = jax.device_put(tree, shardings)['params']['backbone']['conv']
  shards = placed['kernel'].addressable_shards
  assert len({s.device for s in shards}) == 8
  assert all(s.data.shape == (3, 2) for s in shards)
  assert sorted(s.index[1].start for s in shards) == list(range(0, 16, 2))
  for s in shards:
    np.testing.assert_array_equal(np.asarray(s.data), host['kernel'][s.index])
  bias_shards = placed['bias'].addressable_shards  # replicated: whole on each device.
  assert len({s.device for s in bias_shards}) == 8
  for s in bias_shards:
    np.testing.assert_array_equal(np.asarray(s.data), host['bias'])
