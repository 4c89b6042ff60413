"""Numerical checks of the procedural scene renderer's labels."""

import dataclasses

import numpy as np
import pytest

from transfer_datasets.synthetic import render

# Non-square, so that swapped height/width would show.
H, W = 48, 64
SEEDS = range(12)


def _render_all(domains=tuple(render.DOMAINS), seeds=SEEDS, h=H, w=W):
  return [(name, seed, render.render(seed, render.DOMAINS[name], h, w))
          for name in domains for seed in seeds]


@pytest.fixture(scope='module')
def scenes():
  return _render_all()


def test_output_format(scenes):
  k = len(render.KEYPOINT_NAMES)
  for _, _, ex in scenes:
    n = len(ex['objects']['label'])
    assert ex['image'].dtype == np.uint8 and ex['image'].shape == (H, W, 3)
    assert ex['segmentation'].dtype == np.uint16
    assert ex['segmentation'].shape == (H, W, 1)
    assert ex['depth'].dtype == np.float32 and ex['depth'].shape == (H, W, 1)
    assert ex['objects']['bbox'].dtype == np.float32
    assert ex['objects']['bbox'].shape == (n, 4)
    assert ex['objects']['label'].dtype == np.int64
    assert ex['objects']['keypoints'].dtype == np.float32
    assert ex['objects']['keypoints'].shape == (n, k, 3)
    assert ex['instance'].dtype == np.int32 and ex['instance'].shape == (H, W)
    assert ex['instances'].dtype == np.uint16
    np.testing.assert_array_equal(ex['instances'][..., 0], ex['instance'])
    assert ex['objects']['is_crowd'].dtype == np.bool_
    assert ex['objects']['is_crowd'].shape == (n,)
    assert not ex['objects']['is_crowd'].any()
    assert all(ex[f'has_{a}'] is True for a in ('segmentation', 'depth',
                                                'boxes', 'keypoints',
                                                'instances'))
    assert set(ex['objects']['label']) <= set(render.OBJECT_CLASSES)


def _pixel_rays(camera, h, w):
  yc = (np.arange(h) + 0.5 - camera['cy']) / camera['focal']
  xc = (np.arange(w) + 0.5 - camera['cx']) / camera['focal']
  return np.broadcast_to(yc[:, None], (h, w)), np.broadcast_to(xc, (h, w))


def test_ground_depth_matches_camera_geometry(scenes):
  checked = 0
  for _, _, ex in scenes:
    cam = ex['camera']
    yc, _ = _pixel_rays(cam, H, W)
    # Camera-frame ray (xc, yc, 1) has world dy = -(yc cos p + sin p); the
    # plane y = 0 is hit at z-depth height / (yc cos p + sin p).
    expected = cam['height'] / (yc * np.cos(cam['pitch'])
                                + np.sin(cam['pitch']))
    ground = ex['segmentation'][..., 0] == render.GROUND
    np.testing.assert_allclose(ex['depth'][..., 0][ground], expected[ground],
                               rtol=1e-4)
    checked += ground.sum()
  assert checked > 10000


def test_wall_depth_matches_room_geometry(scenes):
  spec = render.DOMAINS['indoor']
  checked = 0
  for name, _, ex in scenes:
    if name != 'indoor':
      continue
    cam = ex['camera']
    yc, xc = _pixel_rays(cam, H, W)
    s, c = np.sin(cam['pitch']), np.cos(cam['pitch'])
    dz = c - s * yc
    t_side = spec.room_half_width / np.abs(xc)
    t_back = np.where(dz > 0, (spec.room_depth - cam['position'][2]) / dz,
                      np.inf)
    wall = ex['segmentation'][..., 0] == render.WALL
    np.testing.assert_allclose(ex['depth'][..., 0][wall],
                               np.minimum(t_side, t_back)[wall], rtol=1e-4)
    checked += wall.sum()
  assert checked > 2000


def test_segmentation_agrees_with_instances_and_depth(scenes):
  for name, _, ex in scenes:
    seg, inst = ex['segmentation'][..., 0], ex['instance']
    depth = ex['depth'][..., 0]
    labels = ex['objects']['label']
    assert inst.max() == len(labels)
    for i, label in enumerate(labels):
      assert np.all(seg[inst == i + 1] == label)
    assert set(np.unique(seg[inst == 0])) <= set(render.STUFF_CLASSES)
    assert np.all(depth[seg == render.SKY] == 0)
    assert np.all(depth[seg != render.SKY] > 0)
    assert np.all(np.isfinite(depth))
    stuff = set(np.unique(seg)) & set(render.STUFF_CLASSES)
    if render.DOMAINS[name].background == 'walls':
      assert render.SKY not in stuff
    else:
      assert render.WALL not in stuff


def test_boxes_are_tight_boxes_of_visible_pixels(scenes):
  for _, _, ex in scenes:
    boxes = ex['objects']['bbox']
    for i, box in enumerate(boxes):
      rows, cols = np.nonzero(ex['instance'] == i + 1)
      expected = np.array([rows.min() / H, cols.min() / W,
                           (rows.max() + 1) / H, (cols.max() + 1) / W],
                          np.float32)
      np.testing.assert_array_equal(box, expected)
    assert np.all((boxes >= 0) & (boxes <= 1))


def test_hidden_objects_are_dropped(scenes):
  # Out of view: the whole layout far to the side of the camera.
  layout = render.LayoutSpec(region_x=(40.0, 50.0))
  ex = render.render(0, render.DOMAINS['sunny'], H, W, layout)
  assert len(render.sample_layout(0, layout)) >= 3
  assert ex['objects']['bbox'].shape == (0, 4)
  assert ex['objects']['keypoints'].shape == (0, 5, 3)
  assert ex['instance'].max() == 0
  # Partly visible layouts: dropped objects have no pixels, kept ones do.
  dropped = 0
  for name, seed, ex in scenes:
    n_layout = len(render.sample_layout(seed, render.DOMAINS[name].layout))
    kept = ex['layout_index']
    assert np.all(np.diff(kept) > 0) and kept.max(initial=-1) < n_layout
    dropped += n_layout - len(kept)
    assert len(np.unique(ex['instance'])) == len(kept) + 1
  assert dropped > 5


def _keypoint_depths(name, seed, ex):
  """Camera z of each output object's keypoints, [N, 5], and their exact
  projections (y, x) normalised, [N, 5, 2]."""
  cam = ex['camera']
  objects = render.sample_layout(seed, render.DOMAINS[name].layout)
  points = render.object_keypoints(objects)[ex['layout_index']]
  rel = points - cam['position']
  s, c = np.sin(cam['pitch']), np.cos(cam['pitch'])
  yc = -c * rel[..., 1] - s * rel[..., 2]
  z = -s * rel[..., 1] + c * rel[..., 2]
  v = (cam['cy'] + cam['focal'] * yc / z) / H
  u = (cam['cx'] + cam['focal'] * rel[..., 0] / z) / W
  return z, np.stack([v, u], -1)


def test_keypoint_visibility_matches_buffers(scenes):
  counts = np.zeros(3, int)
  occluded_in_front = 0
  tol = render.KEYPOINT_DEPTH_TOL
  for name, seed, ex in scenes:
    kps = ex['objects']['keypoints']
    if not len(kps):
      continue
    z, yx = _keypoint_depths(name, seed, ex)
    vis = kps[..., 2]
    counts += np.bincount(vis.astype(int).ravel(), minlength=3)
    inside = ((z > 0) & (yx[..., 0] >= 0) & (yx[..., 0] < 1)
              & (yx[..., 1] >= 0) & (yx[..., 1] < 1))
    np.testing.assert_array_equal(vis == 0, ~inside)
    assert np.all(kps[vis == 0] == 0)
    np.testing.assert_allclose(kps[..., :2][inside], yx[inside], atol=1e-5)
    depth = np.pad(ex['depth'][..., 0], 1)
    inst = np.pad(ex['instance'], 1)
    for (i, j) in zip(*np.nonzero(inside)):
      r = int(yx[i, j, 0] * H) + 1  # +1 for the padding.
      c = int(yx[i, j, 1] * W) + 1
      window_inst = inst[r - 1:r + 2, c - 1:c + 2]
      window_depth = depth[r - 1:r + 2, c - 1:c + 2]
      own = (window_inst == i + 1) & (
          np.abs(window_depth - z[i, j]) <= tol * z[i, j])
      if vis[i, j] == 2:
        assert own.any(), (seed, i, j)
      else:
        # Something nearer than the keypoint covers (part of) its window.
        in_front = np.any((window_depth > 0)
                          & (window_depth < z[i, j] * (1 - 1e-3)))
        assert in_front or not own.any(), (seed, i, j)
        occluded_in_front += in_front
  print('visibility counts', counts, 'occluded with nearer neighbour',
        occluded_in_front)
  assert np.all(counts >= 30), counts
  # Occlusions are mostly plain: something nearer is next to the keypoint.
  assert occluded_in_front >= 0.8 * counts[1], (occluded_in_front, counts)


def test_keypoint_flip_map_swaps_left_and_right():
  flip = render.KEYPOINT_FLIP_MAP
  names = render.KEYPOINT_NAMES
  assert sorted(flip) == list(range(len(names)))
  mirrored = {'left': 'right', 'right': 'left'}
  for i, j in enumerate(flip):
    parts = names[i].split('_')
    assert names[j] == '_'.join(mirrored.get(p, p) for p in parts)


def test_deterministic():
  for name in ('sunny', 'underwater'):  # The latter has sensor noise.
    a = render.render(7, render.DOMAINS[name], H, W)
    b = render.render(7, render.DOMAINS[name], H, W)
    for key in ('image', 'segmentation', 'depth', 'instance'):
      np.testing.assert_array_equal(a[key], b[key])
    for key in ('bbox', 'label', 'keypoints'):
      np.testing.assert_array_equal(a['objects'][key], b['objects'][key])
  other = render.render(8, render.DOMAINS['sunny'], H, W)
  assert not np.array_equal(a['image'], other['image'])


def test_appearance_domains_share_labels(scenes):
  by_seed = {}
  for name, seed, ex in scenes:
    by_seed.setdefault(seed, {})[name] = ex
  for seed, exs in by_seed.items():
    ref = exs['sunny']
    for name in ('foggy', 'underwater'):
      ex = exs[name]
      for key in ('segmentation', 'depth', 'instance'):
        np.testing.assert_array_equal(ex[key], ref[key])
      for key in ('bbox', 'label', 'keypoints'):
        np.testing.assert_array_equal(ex['objects'][key],
                                      ref['objects'][key])
      diff = np.abs(ex['image'].astype(int) - ref['image']).mean()
      assert diff > 10, (seed, name, diff)


def test_domains_with_one_layout_show_the_same_objects(scenes):
  for name, seed, ex in scenes:
    layout = render.sample_layout(seed, render.DOMAINS[name].layout)
    np.testing.assert_array_equal(
        ex['objects']['label'],
        [layout[k].label for k in ex['layout_index']])
  # Viewpoints differ between sky-outdoor, indoor and aerial.
  pitches = {name: ex['camera']['pitch'] for name, seed, ex in scenes
             if seed == 0}
  assert pitches['sunny'] == pitches['foggy']
  assert len({pitches['sunny'], pitches['indoor'], pitches['aerial']}) == 3


def test_domains_look_different():
  means = {name: render.render(3, spec, H, W)['image'].reshape(-1, 3).mean(0)
           for name, spec in render.DOMAINS.items()}
  names = list(means)
  for i, a in enumerate(names):
    for b in names[i + 1:]:
      assert np.abs(means[a] - means[b]).max() > 8, (a, b)


def test_domain_spec_is_a_validated_preset():
  spec = dataclasses.replace(render.DOMAINS['sunny'], haze_density=0.5)
  assert spec.haze_density == 0.5 and spec.palette == render.DOMAINS[
      'sunny'].palette
  with pytest.raises(ValueError):
    dataclasses.replace(spec, textures=('plain',) * 2)
  with pytest.raises(ValueError):
    dataclasses.replace(spec, background='space')
  with pytest.raises(ValueError):
    dataclasses.replace(spec, camera_pitch_deg=(0.0, 10.0))
  assert len(render.DOMAINS) >= 4
  assert render.IGNORE_LABEL >= len(render.CLASS_NAMES)


def test_the_seven_domain_families_and_their_layouts():
  assert {'consumer', 'street', 'aerial', 'underwater', 'indoor', 'flat',
          'closeup'} <= set(render.DOMAINS)
  def stats(name):
    scenes = [render.render(seed, render.DOMAINS[name], 64, 64) for seed in range(20)]
    objects = np.mean([len(ex['objects']['label']) for ex in scenes])
    share_per_object = np.mean([np.isin(ex['segmentation'], render.OBJECT_CLASSES).mean()
                                / max(len(ex['objects']['label']), 1) for ex in scenes])
    return objects, share_per_object
  sunny, consumer, closeup = stats('sunny'), stats('consumer'), stats('closeup')
  assert consumer[0] > 1.5 * sunny[0]  # Clutter: more objects.
  assert closeup[0] <= 2 and closeup[1] > 3 * sunny[1]  # One or two big objects.
  # Flat shading: an object's face is nearly one colour (no texture, jitter).
  ex = render.render(0, render.DOMAINS['flat'], 64, 64)
  first = ex['instance'] == 1
  assert ex['image'][first].std(0).max() < 25


def test_interpolated_domains_move_from_one_to_the_other():
  a, b = render.DOMAINS['sunny'], render.DOMAINS['underwater']
  assert render.interpolate(a, b, 0) == a and render.interpolate(a, b, 1) == b
  half = render.interpolate(a, b, 0.5)
  assert half.haze_density == pytest.approx((a.haze_density + b.haze_density) / 2)
  assert half.palette[0] == pytest.approx(tuple((x + y) / 2 for x, y in zip(a.palette[0],
                                                                             b.palette[0])))
  assert half.blur_passes == 1 and half.textures in (a.textures, b.textures)
  # The image moves monotonically from one domain's colours to the other's.
  means = [render.render(3, render.interpolate(a, b, t), H, W)['image'].mean((0, 1))[0]
           for t in (0.0, 0.25, 0.5, 0.75, 1.0)]
  assert all(x > y for x, y in zip(means, means[1:]))  # Red fades under water.
  with pytest.raises(ValueError):
    render.interpolate(a, b, 1.5)
  # Class ids are choices, not numbers: they switch half way, never blend.
  few = dataclasses.replace(render.DEFAULT_LAYOUT, object_classes=(render.CUBE, render.SPHERE))
  other = dataclasses.replace(render.DEFAULT_LAYOUT,
                              object_classes=(render.SPHERE, render.CYLINDER))
  assert render.interpolate(few, other, 0.4).object_classes == few.object_classes
  assert render.interpolate(few, other, 0.6).object_classes == other.object_classes


def test_a_label_space_draws_only_its_classes():
  layout = dataclasses.replace(render.DEFAULT_LAYOUT, object_classes=(render.CYLINDER,))
  assert {o.label for i in range(20) for o in render.sample_layout(i, layout)} == {
      render.CYLINDER}
  with pytest.raises(ValueError):
    dataclasses.replace(render.DEFAULT_LAYOUT, object_classes=(render.SKY,))
