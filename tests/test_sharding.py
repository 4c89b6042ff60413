"""Meshes and train-state shardings on the 8 fake CPU devices: the specs each
strategy and rule gives, the errors, and training that does not depend on them."""

import functools

import jax
import ml_collections
import numpy as np
import pytest
from jax.sharding import PartitionSpec as P

from transfer import config_base, optim, sharding, trainer
from transfer.errors import UserError

WHERE = 'config.sources.a'


def _config(**overrides) -> ml_collections.ConfigDict:
  """A stage's `sharding` section (as config_base writes it), with `overrides`."""
  return ml_collections.ConfigDict(dict(
      dict(strategy='data_parallel', fsdp_min_size=2**16, model_axis=1, rules=()), **overrides))


def _tree():
  arange = lambda *shape: np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
  return {'params': {'backbone': {'conv': {'kernel': arange(3, 16), 'bias': arange(16)},
                                  'norm': {'scale': arange(16)}},
                     'head': {'dense': {'kernel': arange(16, 8), 'bias': arange(8)}},
                     'blocks': [arange(4), arange(2, 8)]}}


def _specs(tree, mesh=None, **overrides):
  shardings = sharding.state_shardings(tree, _config(**overrides), mesh or sharding.make_mesh(),
                                       WHERE)
  return {sharding.path_name(path): s.spec
          for path, s in jax.tree_util.tree_flatten_with_path(shardings)[0]}


def test_path_names_join_dict_keys_and_list_indices():
  names = {sharding.path_name(path)
           for path, _ in jax.tree_util.tree_flatten_with_path(_tree())[0]}
  assert names == {'params/backbone/conv/kernel', 'params/backbone/conv/bias',
                   'params/backbone/norm/scale', 'params/head/dense/kernel',
                   'params/head/dense/bias', 'params/blocks/0', 'params/blocks/1'}


def test_meshes_are_data_by_model():
  assert jax.device_count() == 8
  for mesh, shape in ((sharding.make_mesh(), (8, 1)), (sharding.make_mesh(2), (4, 2)),
                      (sharding.make_mesh(devices=jax.devices()[:1]), (1, 1)),
                      (sharding.make_mesh(4, devices=jax.devices()[::-1]), (2, 4))):
    assert mesh.axis_names == ('data', 'model') and mesh.devices.shape == shape
    assert set(mesh.axis_types) == {jax.sharding.AxisType.Auto}
  assert [d.id for d in sharding.make_mesh(4, devices=jax.devices()[::-1]).devices.flat] == [
      7, 6, 5, 4, 3, 2, 1, 0]


@pytest.mark.parametrize('model_axis,local', [(0, 8), (3, 8), (16, 8), (8, 4)])
def test_a_model_axis_must_divide_the_devices_of_every_process(model_axis, local, monkeypatch):
  monkeypatch.setattr(jax, 'local_device_count', lambda: local)
  with pytest.raises(UserError, match='model_axis') as error:
    sharding.make_mesh(model_axis, where=WHERE)
  assert error.value.where == f'{WHERE}.sharding.model_axis'


@pytest.mark.parametrize('kernel_rule_first', [True, False])
def test_first_matching_rule_decides_and_unmatched_leaves_are_replicated(
    kernel_rule_first):
  kernel, head = ('.*kernel', (None, 'data')), ('head/.*', ())
  rules = (kernel, head) if kernel_rule_first else (head, kernel)
  rules += (('conv/bias', ('data',)), ('blocks/1', (None, 'data')))
  assert _specs(_tree(), rules=rules) == {
      'params/backbone/conv/kernel': P(None, 'data'),
      'params/backbone/conv/bias': P('data'),
      'params/backbone/norm/scale': P(),  # unmatched.
      # Both the kernel and the head rule match; the first one listed wins.
      'params/head/dense/kernel': P(None, 'data') if kernel_rule_first else P(),
      'params/head/dense/bias': P(),
      'params/blocks/0': P(),  # unmatched.
      'params/blocks/1': P(None, 'data')}


def _shapes():
  shapes = {'small': (3, 16), 'rows': (24, 16), 'tie': (16, 16), 'indivisible': (3, 3, 9, 100),
            'threshold': (8, 8), 'vector': (64,), 'scalar': ()}
  return {'params': {k: jax.ShapeDtypeStruct(v, np.float32) for k, v in shapes.items()}}


def test_fsdp_splits_arrays_from_the_minimum_size_along_their_largest_divisible_dimension():
  assert _specs(_shapes(), strategy='fsdp', fsdp_min_size=64) == {
      'params/small': P(),  # 48 elements: below the minimum.
      'params/rows': P('data'),  # 24 > 16.
      'params/tie': P(None, 'data'),  # Equal sizes: the last dimension.
      'params/indivisible': P(),  # No dimension divisible by 8.
      'params/threshold': P(None, 'data'),  # 64 elements: at the minimum.
      'params/vector': P('data'),
      'params/scalar': P()}
  assert set(_specs(_shapes(), fsdp_min_size=64).values()) == {P()}  # data_parallel.
  # On a (4, 2) mesh the data axis has 4 devices: (3, 16) is split too.
  assert _specs(_shapes(), sharding.make_mesh(2), strategy='fsdp', fsdp_min_size=0)[
      'params/small'] == P(None, 'data')


def test_rules_come_before_the_strategy():
  specs = _specs(_shapes(), sharding.make_mesh(2), strategy='fsdp', fsdp_min_size=64,
                 rules=(('rows', ()), ('tie', (('data', 'model'), None)), ('small', (None, 'model'))))
  assert (specs['params/rows'], specs['params/tie'], specs['params/small']) == (
      P(), P(('data', 'model'), None), P(None, 'model'))
  assert specs['params/vector'] == P('data')  # Unmatched: fsdp.


def test_optimizer_state_is_sharded_like_its_parameters():
  tree = _tree()
  optimizer = config_base.training('x', config_base.task('segmentation'), steps=2).optimizer
  tx, _ = optim.make_optimizer(optimizer, 2, 'test')
  state = jax.eval_shape(lambda p: {'params': p, 'opt_state': tx.init(p)}, tree['params'])
  specs = _specs(state, strategy='fsdp', fsdp_min_size=16,
                 rules=(('head/dense/kernel', ('data', None)),))
  moments = {k: v for k, v in specs.items() if '/mu/' in k or '/nu/' in k}
  assert len(moments) == 14
  for name, spec in moments.items():
    assert spec == specs['params/' + name.split('/mu/' if '/mu/' in name else '/nu/')[1]], name
  assert specs['params/head/dense/kernel'] == P('data', None)
  assert specs['params/backbone/conv/kernel'] == P(None, 'data')  # fsdp.
  assert specs['params/blocks/0'] == P()  # 4 elements: below the minimum.


@pytest.mark.parametrize('overrides,key,message', [
    (dict(strategy='zero'), 'strategy', "Unknown sharding.strategy 'zero'"),
    (dict(fsdp_min_size=-1), 'fsdp_min_size', 'negative'),
    (dict(rules=('kernel', (None, 'data'))), 'rules', 'not a .regex, spec. pair'),
    (dict(rules=(('kernel', 'data'),)), 'rules', 'not a .regex, spec. pair'),
    (dict(rules=(('conv/(kernel', ()),)), 'rules', 'bad regex'),
    (dict(rules=(('kernel', (None, 'tensor')),)), 'rules', 'unknown axis'),
    (dict(rules=(('kernel', (('data', 'data'), None)),)), 'rules', 'unknown axis or one axis twice'),
    (dict(rules=(('conv/bias', (None, 'data')),)), 'rules',
     r'params/backbone/conv/bias of shape \(16,\).*spec has 2 dimensions'),
    (dict(rules=(('conv/kernel', ('data', None)),)), 'rules',
     r'params/backbone/conv/kernel of shape \(3, 16\).*dimension 0 is not divisible by 8'),
    (dict(rules=(('blocks/0', (('data', 'model'),)),), model_axis=2), 'rules',
     r"params/blocks/0 of shape \(4,\) on the mesh \{'data': 4, 'model': 2\}.*by 8"),
], ids=['strategy', 'min_size', 'no_pairs', 'spec_not_tuple', 'regex', 'axis', 'axis_twice',
        'spec_too_long', 'indivisible', 'indivisible_2d'])
def test_bad_sharding_sections_name_their_key(overrides, key, message):
  mesh = sharding.make_mesh(overrides.get('model_axis', 1))
  with pytest.raises(UserError, match=message) as error:
    sharding.state_shardings(_tree(), _config(**overrides), mesh, WHERE)
  assert error.value.where == f'{WHERE}.sharding.{key}'


def test_device_put_splits_a_kernel_over_the_data_axis():
  tree = _tree()
  shardings = sharding.state_shardings(
      tree, _config(rules=(('conv/kernel', (None, 'data')),)), sharding.make_mesh(), WHERE)
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


STEPS, BATCH = 3, 8


@functools.cache
def _stage():
  config = config_base.stage('synthetic_sunny', config_base.task('segmentation', head_features=8),
                             steps=STEPS, batch_size=BATCH, size=(32, 32))
  config.model.convnet.width = 8
  config.model.convnet.blocks_per_stage = (1,)  # One stage: compiles in seconds.
  # SGD: its update is linear in the gradient, which sharding changes by
  # float32 reduction order (~1e-8). Adam's first update lr * g / (|g| + 1e-8)
  # turns such a change of a gradient near 0 into up to lr * 1 (1.2e-5 here with
  # another seed); its state's shardings are tested above.
  config.optimizer.name = 'sgd'
  stage = trainer.build_stage(config)
  tx, _ = optim.make_optimizer(config.optimizer, config.steps, 'config.optimizer')
  rng = np.random.default_rng(0)
  batches = [{'image': rng.integers(0, 256, (BATCH, 32, 32, 3), np.uint8),
              'segmentation': rng.integers(0, stage.dataset.num_classes, (BATCH, 32, 32, 1),
                                           np.int32)} for _ in range(STEPS)]
  return stage, tx, batches


def _train(mesh, config):
  """(final state, its shardings, losses) of STEPS jitted train steps on `mesh`."""
  stage, tx, batches = _stage()
  init_fn = functools.partial(trainer.init_state, stage, tx, batch_size=1)
  rng = jax.random.key(0)
  state_sh = sharding.state_shardings(jax.eval_shape(init_fn, rng), config, mesh, 'config')
  batch_sh, replicated = sharding.batch_sharding(mesh), sharding.replicated(mesh)
  step = jax.jit(functools.partial(trainer.train_step, stage=stage, tx=tx),
                 in_shardings=(state_sh, batch_sh), out_shardings=(state_sh, replicated, replicated))
  state, losses = jax.jit(init_fn, out_shardings=state_sh)(rng), []
  for batch in batches:
    state, _, logs = step(state, jax.device_put(batch, batch_sh))
    losses.append(float(logs['loss']))
  return state, state_sh, losses


@pytest.fixture(scope='module')
def one_device():
  return _train(sharding.make_mesh(devices=jax.devices()[:1]), _config())


MODEL_RULES = ((r'stage0_block0/Conv_\d/kernel', (None, None, None, 'model')),
               ('head/Conv_0/kernel', (None, None, 'data', 'model')))


@pytest.mark.parametrize('model_axis,overrides', [
    (1, {}),
    (1, dict(strategy='fsdp', fsdp_min_size=48)),
    (2, dict(strategy='fsdp', fsdp_min_size=48, rules=MODEL_RULES)),
], ids=['data_parallel', 'fsdp', 'fsdp_and_model_rules'])
def test_training_is_the_same_on_one_device_and_sharded(one_device, model_axis, overrides):
  reference, _, reference_losses = one_device
  config = _config(model_axis=model_axis, **overrides)
  state, state_sh, losses = _train(sharding.make_mesh(model_axis), config)
  np.testing.assert_allclose(losses, reference_losses, rtol=1e-5, atol=1e-5)
  for key in ('params', 'batch_stats', 'opt_state', 'step'):
    jax.tree.map(functools.partial(np.testing.assert_allclose, rtol=1e-5, atol=1e-5, err_msg=key),
                 jax.device_get(state[key]), jax.device_get(reference[key]))
  split = {key: [sharding.path_name(path) for path, leaf in
                 jax.tree_util.tree_flatten_with_path(state[key])[0]
                 if leaf.addressable_shards[0].data.shape != leaf.shape]
           for key in ('params', 'opt_state')}
  for key, names in split.items():
    expected = {n for n, s in _named(state_sh[key]).items() if any(s.spec)}
    assert set(names) == expected, key  # Split as specified, and only those.
    assert bool(names) == (config.strategy == 'fsdp'), key
  if config.rules:
    specs = _named(state_sh['opt_state'])
    assert specs['1/1/0/trace/backbone/stage0_block0/Conv_1/kernel'].spec == P(
        None, None, None, 'model')
    kernel = state['params']['head']['Conv_0']['kernel']
    assert {s.data.shape for s in kernel.addressable_shards} == {(3, 3, 2, 4)}


def _named(shardings):
  return {sharding.path_name(p): s for p, s in jax.tree_util.tree_flatten_with_path(shardings)[0]}
