"""Procedural 3D scenes rendered by vectorised ray casting, in pure numpy.

A scene is a ground plane (y = 0) with objects (cubes, spheres, vertical
cylinders; 3-8 in most domains) resting on it, under either open sky or the
walls of a room. Every pixel ray is intersected analytically with every primitive (primitives only
over their projected screen rectangle), so labels are exact by construction:

  segmentation  class id of the nearest surface (CLASS_NAMES; no void pixels,
                IGNORE_LABEL is only the catalogue's ignore value).
  depth         z-depth along the optical axis in metres; 0 for sky.
  instances     i + 1 on the visible pixels of output object i; 0 for stuff.
  boxes         tight box of each object's visible pixels; objects with no
                visible pixel are dropped (with their keypoints).
  keypoints     KEYPOINT_NAMES on each object's surface, fixed in the world;
                COCO visibility (see `_keypoints`).

World frame: x right, y up, z forward (metres). The camera sits at
(0, h, -h / tan(pitch)), looks along +z pitched down by `pitch`, so its optical
axis meets the ground at the origin, the centre of the object layout. Camera
frame: x right, y down, z forward; pixel (r, c) has its centre at
(c + 0.5, r + 0.5) in pixel coordinates and its ray is
((c + 0.5 - cx) / f, (r + 0.5 - cy) / f, 1), so the ray parameter is z-depth.

Randomness: from `index_seed` alone come the object layout (`sample_layout`,
in the domain's LayoutSpec), the camera's position inside the domain's ranges
(`sample_camera`: the same uniform draws are mapped into each domain's
ranges) and the sensor-noise pattern. So for one index all domains with the
default layout show the same objects; domains with equal camera ranges
('sunny', 'foggy', 'underwater', 'flat') even have identical labels and
differ only in appearance, while 'indoor', 'aerial' and 'street' also change
the viewpoint (and 'indoor' the background).

The domains, in the spirit of the paper's seven: 'consumer' (cluttered:
8-14 smaller objects, busy textures), 'street' (driving: low, nearly level
camera over asphalt), 'aerial' (top-down), 'underwater', 'indoor', 'flat'
(flat-shaded synthetic renders), 'closeup' (one or two objects from near);
and the outdoor weathers 'sunny' and 'foggy'.
"""

import dataclasses
import functools
import math
import numbers
from typing import Literal, NamedTuple

import numpy as np

CLASS_NAMES = ('ground', 'wall', 'sky', 'cube', 'sphere', 'cylinder')
GROUND, WALL, SKY, CUBE, SPHERE, CYLINDER = range(len(CLASS_NAMES))
STUFF_CLASSES = (GROUND, WALL, SKY)
OBJECT_CLASSES = (CUBE, SPHERE, CYLINDER)
IGNORE_LABEL = 255

# Points on each object's surface (see `object_keypoints`): the top centre
# and four points on the upper rim (cylinder), the top corners (cube) or the
# equator (sphere), furthest along the world's diagonal directions (far =
# +z, away from the camera; right = +x).
KEYPOINT_NAMES = ('top', 'far_left', 'far_right', 'near_left', 'near_right')
# Keypoint permutation for a horizontally flipped image.
KEYPOINT_FLIP_MAP = (0, 2, 1, 4, 3)
# A keypoint is visible (2) only if its own object is within this relative
# z-depth of it in the depth buffer near its pixel (3x3 window), and the exact
# ray to it is unblocked.
KEYPOINT_DEPTH_TOL = 0.1

TEXTURES = ('plain', 'checker', 'stripes', 'noise')

RGB = tuple[float, float, float]
Range = tuple[float, float]
_NEAR = 0.05  # Metres; nearer points count as behind the camera.


@dataclasses.dataclass(frozen=True)
class LayoutSpec:
  """Object placement. Domains with the same layout (most of them) show the
  same objects for the same scene seed."""
  num_objects: tuple[int, int] = (3, 8)  # Inclusive.
  object_size: Range = (0.4, 0.85)  # Characteristic radius in metres.
  region_x: Range = (-3.0, 3.0)  # Object centres on the ground.
  region_z: Range = (-2.5, 3.5)
  min_gap: float = 0.1  # Between footprints' bounding circles.
  # The object classes drawn (the label space's objects); a subset keeps
  # every other draw, so positions stay where the object sizes allow.
  object_classes: tuple[int, ...] = dataclasses.field(
      default=OBJECT_CLASSES, metadata={'interpolate': 'switch'})

  def __post_init__(self):
    if not self.object_classes or not set(self.object_classes) <= set(OBJECT_CLASSES):
      raise ValueError(f'object_classes must be a non-empty subset of {OBJECT_CLASSES}.')


DEFAULT_LAYOUT = LayoutSpec()


@dataclasses.dataclass(frozen=True)
class DomainSpec:
  """Every appearance and viewpoint factor of a domain.

  Per-class fields are indexed by class id (CLASS_NAMES). Colours are RGB in
  [0, 1]. Derive new domains with `dataclasses.replace(DOMAINS[...], ...)`.
  """
  # Background: open sky, or a room of infinitely tall walls at
  # x = +-room_half_width and z = room_depth, which must enclose the layout
  # (LayoutSpec regions plus object sizes; the layout is centred at 0).
  background: Literal['sky', 'walls'] = 'sky'
  room_half_width: float = 5.0
  room_depth: float = 6.0
  max_depth: float = 80.0  # Outdoor ground at larger z-depth is sky.
  # Camera ranges (uniform per scene); pitch in (0, 90); fov is horizontal.
  camera_height: Range = (1.5, 2.2)
  camera_pitch_deg: Range = (12.0, 20.0)
  fov_deg: Range = (50.0, 60.0)
  # Materials. palette[SKY] is the zenith colour.
  palette: tuple[RGB, ...] = (
      (0.36, 0.52, 0.24), (0.75, 0.72, 0.66), (0.30, 0.50, 0.88),
      (0.80, 0.22, 0.18), (0.92, 0.76, 0.22), (0.22, 0.38, 0.80))
  textures: tuple[str, ...] = (
      'noise', 'stripes', 'plain', 'checker', 'stripes', 'plain')
  texture_scales: tuple[float, ...] = (1.5, 0.5, 1.0, 0.35, 0.25, 1.0)
  texture_contrast: float = 0.3
  colour_jitter: float = 0.15  # Relative per-object albedo variation.
  sky_horizon: RGB = (0.78, 0.86, 0.95)
  # Lighting: Lambertian with a directional light (towards the light).
  light_dir: tuple[float, float, float] = (-0.5, 0.8, -0.45)
  light_colour: RGB = (0.8, 0.77, 0.7)
  ambient: float = 0.35
  # Atmosphere: colour -> haze_colour by 1 - exp(-haze_density * depth).
  haze_density: float = 0.004
  haze_colour: RGB = (0.78, 0.84, 0.92)
  # Sensor: per-channel gain/offset, binomial [1 2 1] blur passes, and the
  # standard deviation of additive Gaussian noise (intensities in [0, 1]).
  gain: RGB = (1.0, 1.0, 1.0)
  offset: RGB = (0.0, 0.0, 0.0)
  blur_passes: int = 0
  noise_sigma: float = 0.0
  layout: LayoutSpec = DEFAULT_LAYOUT

  def __post_init__(self):
    if self.background not in ('sky', 'walls'):
      raise ValueError(f'Unknown background {self.background!r}.')
    for field in ('palette', 'textures', 'texture_scales'):
      if len(getattr(self, field)) != len(CLASS_NAMES):
        raise ValueError(f'{field} needs one entry per class.')
    if not set(self.textures) <= set(TEXTURES):
      raise ValueError(f'Textures must be among {TEXTURES}.')
    if not 0 < min(self.camera_pitch_deg) <= max(self.camera_pitch_deg) < 90:
      raise ValueError('Camera pitch must be within (0, 90) degrees.')


_SUNNY = DomainSpec()
DOMAINS: dict[str, DomainSpec] = {
    'sunny': _SUNNY,
    'foggy': dataclasses.replace(
        _SUNNY, palette=_SUNNY.palette[:2] + ((0.7, 0.7, 0.72),)
        + _SUNNY.palette[3:], sky_horizon=(0.7, 0.7, 0.72),
        light_colour=(0.3, 0.3, 0.3), ambient=0.65, haze_density=0.12,
        haze_colour=(0.7, 0.7, 0.72)),
    'underwater': dataclasses.replace(
        _SUNNY, palette=((0.72, 0.66, 0.48),) + _SUNNY.palette[1:],
        textures=('noise', 'stripes', 'plain', 'plain', 'checker', 'stripes'),
        light_dir=(0.0, 1.0, -0.1), light_colour=(0.55, 0.75, 0.75),
        ambient=0.4, haze_density=0.09, haze_colour=(0.05, 0.33, 0.42),
        gain=(0.6, 0.95, 1.0), offset=(0.0, 0.03, 0.05), blur_passes=2,
        noise_sigma=0.03),
    'indoor': dataclasses.replace(
        _SUNNY, background='walls', camera_height=(1.3, 1.8),
        camera_pitch_deg=(18.0, 28.0), fov_deg=(60.0, 70.0),
        palette=((0.55, 0.38, 0.22), (0.85, 0.8, 0.7), (0.0, 0.0, 0.0),
                 (0.3, 0.6, 0.35), (0.85, 0.3, 0.55), (0.9, 0.55, 0.2)),
        textures=('checker', 'stripes', 'plain', 'noise', 'checker',
                  'stripes'),
        texture_scales=(0.6, 0.4, 1.0, 0.3, 0.3, 0.2),
        light_dir=(0.3, 0.9, -0.3), light_colour=(0.75, 0.62, 0.45),
        haze_density=0.0, gain=(1.05, 0.97, 0.85), noise_sigma=0.01),
    'aerial': dataclasses.replace(
        _SUNNY, camera_height=(8.0, 12.0), camera_pitch_deg=(55.0, 80.0),
        fov_deg=(40.0, 50.0),
        palette=((0.45, 0.48, 0.33),) + _SUNNY.palette[1:],
        texture_scales=(2.0,) + _SUNNY.texture_scales[1:],
        light_dir=(-0.3, 0.9, 0.2), haze_density=0.01, blur_passes=1,
        noise_sigma=0.01),
    # Consumer photos: many smaller objects, busy textures, varied colours.
    'consumer': dataclasses.replace(
        _SUNNY, camera_height=(1.4, 1.9), camera_pitch_deg=(15.0, 24.0),
        palette=((0.52, 0.45, 0.36), (0.7, 0.66, 0.7), (0.55, 0.68, 0.85),
                 (0.85, 0.45, 0.2), (0.35, 0.7, 0.45), (0.6, 0.3, 0.65)),
        textures=('checker', 'noise', 'plain', 'noise', 'checker', 'stripes'),
        texture_scales=(0.4, 0.5, 1.0, 0.2, 0.15, 0.15), texture_contrast=0.5,
        colour_jitter=0.45, light_dir=(0.4, 0.7, -0.5), light_colour=(0.85, 0.75, 0.6),
        ambient=0.4, haze_density=0.0, noise_sigma=0.02,
        layout=LayoutSpec(num_objects=(8, 14), object_size=(0.28, 0.55), min_gap=0.05)),
    # Driving: a low, nearly level camera over dark asphalt with lane stripes.
    'street': dataclasses.replace(
        _SUNNY, camera_height=(1.2, 1.6), camera_pitch_deg=(11.0, 16.0),
        fov_deg=(55.0, 65.0),
        palette=((0.27, 0.27, 0.29), (0.75, 0.72, 0.66), (0.62, 0.72, 0.85),
                 (0.75, 0.75, 0.78), (0.15, 0.2, 0.45), (0.65, 0.1, 0.1)),
        textures=('stripes', 'stripes', 'plain', 'plain', 'plain', 'stripes'),
        texture_scales=(1.2, 0.5, 1.0, 1.0, 1.0, 0.3), texture_contrast=0.45,
        sky_horizon=(0.85, 0.88, 0.9), light_dir=(0.6, 0.6, 0.5),
        light_colour=(0.9, 0.88, 0.82), ambient=0.3, haze_density=0.015,
        haze_colour=(0.85, 0.87, 0.9), noise_sigma=0.015),
    # Flat-shaded synthetic renders: saturated plain colours, almost no
    # shading, no atmosphere, no sensor noise.
    'flat': dataclasses.replace(
        _SUNNY, palette=((0.1, 0.75, 0.2), (0.9, 0.9, 0.9), (0.2, 0.6, 1.0),
                         (1.0, 0.1, 0.1), (1.0, 0.9, 0.0), (0.1, 0.2, 1.0)),
        textures=('plain',) * len(CLASS_NAMES), colour_jitter=0.0,
        sky_horizon=(0.2, 0.6, 1.0), light_colour=(0.2, 0.2, 0.2), ambient=0.8,
        haze_density=0.0),
    # Close-ups: one or two objects seen from near with a narrow lens.
    'closeup': dataclasses.replace(
        _SUNNY, camera_height=(1.0, 1.4), camera_pitch_deg=(24.0, 32.0),
        fov_deg=(46.0, 56.0),
        palette=((0.6, 0.55, 0.5),) + _SUNNY.palette[1:],
        textures=('noise', 'stripes', 'plain', 'checker', 'noise', 'stripes'),
        texture_scales=(0.3, 0.5, 1.0, 0.15, 0.1, 0.2), light_dir=(-0.3, 0.8, -0.6),
        light_colour=(0.75, 0.75, 0.72), ambient=0.4, haze_density=0.0, blur_passes=1,
        layout=LayoutSpec(num_objects=(1, 2), object_size=(0.35, 0.5),
                          region_x=(-0.4, 0.4), region_z=(-0.4, 0.4))),
}


def _switch(x, y, t):
  return x if t < 0.5 else y


def _mix(x, y, t):
  """x -> y at fraction t: numbers linearly (ints rounded), equal-length
  tuples and specs per element; names and choices (and fields marked
  'switch', such as class ids) switch half way."""
  if isinstance(x, numbers.Real) and not isinstance(x, bool):
    value = (1 - t) * x + t * y
    return int(round(value)) if isinstance(x, numbers.Integral) else value
  if isinstance(x, tuple) and len(x) == len(y):
    return tuple(_mix(a, b, t) for a, b in zip(x, y))
  if dataclasses.is_dataclass(x):
    return interpolate(x, y, t)
  return _switch(x, y, t)


def interpolate(a, b, t: float):
  """The spec (DomainSpec or LayoutSpec) a fraction `t` of the way from `a`
  (t = 0, exactly a) to `b` (t = 1, exactly b): the strength of a domain
  gap as one number."""
  if not 0 <= t <= 1:
    raise ValueError(f'Interpolation fraction {t} is not in [0, 1].')
  rule = lambda f: _switch if f.metadata.get('interpolate') == 'switch' else _mix
  return type(a)(**{f.name: rule(f)(getattr(a, f.name), getattr(b, f.name), t)
                    for f in dataclasses.fields(a)})


@dataclasses.dataclass(frozen=True)
class Camera:
  """Pinhole camera at (0, height, z) looking at the origin (see module doc)."""
  height: float  # Metres above the ground.
  pitch: float  # Radians below the horizon.
  focal: float  # Pixels.
  cx: float  # Principal point, pixels.
  cy: float

  @property
  def position(self) -> tuple[float, float, float]:
    return (0.0, self.height, -self.height / math.tan(self.pitch))

  def rays(self, height: int, width: int):
    """World ray directions (z-depth parametrised) of all pixel centres.

    Separable: dx depends on the column only, dy and dz on the row only, so
    they are returned with shapes [1, W], [H, 1], [H, 1].
    """
    xc = (np.arange(width, dtype=np.float32) + 0.5 - self.cx) / self.focal
    yc = (np.arange(height, dtype=np.float32) + 0.5 - self.cy) / self.focal
    s, c = math.sin(self.pitch), math.cos(self.pitch)
    return xc[None, :], (-c * yc - s)[:, None], (c - s * yc)[:, None]

  def project(self, points: np.ndarray):
    """World points [..., 3] -> pixel row and column coordinates, z-depth."""
    rel = points - np.asarray(self.position, points.dtype)
    s, c = math.sin(self.pitch), math.cos(self.pitch)
    y = -c * rel[..., 1] - s * rel[..., 2]
    z = -s * rel[..., 1] + c * rel[..., 2]
    with np.errstate(divide='ignore', invalid='ignore'):
      scale = self.focal / z
    return self.cy + y * scale, self.cx + rel[..., 0] * scale, z

  def as_dict(self) -> dict:
    return {'height': self.height, 'pitch': self.pitch, 'focal': self.focal,
            'cx': self.cx, 'cy': self.cy,
            'position': np.asarray(self.position)}


@dataclasses.dataclass(frozen=True)
class SceneObject:
  """An object resting on the ground. `half_size` is the half-extent of its
  local bounding box (x, y, z); its height is 2 * half_size[1]."""
  label: int
  x: float
  z: float
  yaw: float
  half_size: tuple[float, float, float]
  albedo_jitter: tuple[float, float, float]  # In [-1, 1] per channel.
  texture_phase: float

  def to_local(self, x, z):
    """Rotates world xz offsets into the object's yaw frame."""
    s, c = math.sin(self.yaw), math.cos(self.yaw)
    return c * x - s * z, s * x + c * z


# Bounding-box corners in units of the half size (the box sits on y = 0).
_CORNERS = np.array([[sx, y, sz] for sx in (-1, 1) for y in (0, 2)
                     for sz in (-1, 1)], np.float32)
# Upper rim per class, in units of the half size: (k, rim_y) places the rim
# points at (+-k, rim_y, +-k) in the object's frame: top corners (cube),
# equator (sphere), upper rim (cylinder).
_RIM = {CUBE: (1.0, 2.0), SPHERE: (math.sqrt(0.5), 1.0),
        CYLINDER: (math.sqrt(0.5), 2.0)}
# World (x, z) directions of the rim keypoints, in KEYPOINT_NAMES order.
_RIM_SIGNS = np.array([[-1, 1], [1, 1], [-1, -1], [1, -1]], np.float32)
_TOP_CORNERS = np.array([[sx, 2, sz] for sx in (-1, 1) for sz in (-1, 1)],
                        np.float32)


def _to_world(objects: list[SceneObject], local: np.ndarray) -> np.ndarray:
  """Points [N, P, 3] in each object's frame -> world points [N, P, 3]."""
  params = np.array([(o.x, o.z, o.yaw) for o in objects], np.float32)
  x, z, yaw = (params[:, i, None] for i in range(3))
  s, c = np.sin(yaw), np.cos(yaw)
  lx, ly, lz = local[..., 0], local[..., 1], local[..., 2]
  return np.stack([x + c * lx + s * lz, ly, z - s * lx + c * lz], axis=-1)


def _half_sizes(objects):
  return np.array([o.half_size for o in objects], np.float32)[:, None, :]


def object_corners(objects: list[SceneObject]) -> np.ndarray:
  """World corners of the objects' bounding boxes, [N, 8, 3]."""
  return _to_world(objects, _CORNERS * _half_sizes(objects))


def object_keypoints(objects: list[SceneObject]) -> np.ndarray:
  """World positions of KEYPOINT_NAMES on each object, [N, 5, 3].

  The top centre, then per world direction of `_RIM_SIGNS` the rim point
  furthest along it: on the circle of a sphere or cylinder, or among a box's
  top corners. Fixing them in the world, not in the object's frame, makes
  them visible facts: a round object's yaw cannot be seen, and a box's only
  up to its symmetries.
  """
  if not objects:
    return np.zeros((0, len(KEYPOINT_NAMES), 3), np.float32)
  half = _half_sizes(objects)[:, 0]                                  # [N, 3]
  centre = np.array([(o.x, o.z) for o in objects], np.float32)       # [N, 2]
  k, rim_y = np.array([_RIM[o.label] for o in objects], np.float32).T
  directions = _RIM_SIGNS / math.sqrt(2)
  round_xz = (centre[:, None] + (math.sqrt(2) * k * half[:, 0])[:, None, None]
              * directions)
  corners = _to_world(objects, _TOP_CORNERS * half[:, None])[..., [0, 2]]
  furthest = np.argmax((corners - centre[:, None]) @ directions.T, axis=1)
  box_xz = np.take_along_axis(corners, furthest[..., None], axis=1)
  is_box = np.array([o.label == CUBE for o in objects])[:, None, None]
  rim_xz = np.where(is_box, box_xz, round_xz)
  points = np.zeros((len(objects), len(KEYPOINT_NAMES), 3), np.float32)
  points[:, 0] = np.stack([centre[:, 0], 2 * half[:, 1], centre[:, 1]], -1)
  points[:, 1:, 0] = rim_xz[..., 0]
  points[:, 1:, 1] = (rim_y * half[:, 1])[:, None]
  points[:, 1:, 2] = rim_xz[..., 1]
  return points


def _lerp(bounds: Range, u: float) -> float:
  return bounds[0] + u * (bounds[1] - bounds[0])


def sample_layout(index_seed: int,
                  layout: LayoutSpec = DEFAULT_LAYOUT) -> list[SceneObject]:
  """Objects of one scene; depends on the seed only, not on the domain."""
  rng = np.random.default_rng([index_seed, 0])
  count = int(rng.integers(layout.num_objects[0], layout.num_objects[1] + 1))
  objects, footprints = [], []
  for _ in range(count):
    u = rng.random(10).tolist()
    label = layout.object_classes[int(u[0] * len(layout.object_classes))]
    r = _lerp(layout.object_size, u[1])
    if label == CUBE:
      half = tuple(r * (0.75 + 0.35 * v) for v in u[2:5])
      radius = math.hypot(half[0], half[2])
    elif label == SPHERE:
      half, radius = (r, r, r), r
    else:
      radius = r * (0.6 + 0.3 * u[2])
      half = (radius, r * (0.75 + 0.75 * u[3]), radius)
    # Rejection sampling of non-overlapping footprints (bounding circles).
    for ux, uz in rng.random((30, 2)).tolist():
      x, z = _lerp(layout.region_x, ux), _lerp(layout.region_z, uz)
      if all(math.hypot(x - fx, z - fz) >= radius + fr + layout.min_gap
             for fx, fz, fr in footprints):
        break
    else:
      continue
    footprints.append((x, z, radius))
    objects.append(SceneObject(
        label=label, x=x, z=z, yaw=2 * math.pi * u[8], half_size=half,
        albedo_jitter=tuple(2 * v - 1 for v in u[5:8]),
        texture_phase=2 * math.pi * u[9]))
  return objects


def sample_camera(index_seed: int, domain: DomainSpec, height: int,
                  width: int) -> Camera:
  """Camera of one scene: the same uniform draws mapped into the domain's
  ranges, so domains with equal ranges get equal cameras."""
  u = np.random.default_rng([index_seed, 1]).random(3).tolist()
  fov = math.radians(_lerp(domain.fov_deg, u[2]))
  return Camera(height=_lerp(domain.camera_height, u[0]),
                pitch=math.radians(_lerp(domain.camera_pitch_deg, u[1])),
                focal=0.5 * width / math.tan(0.5 * fov),
                cx=0.5 * width, cy=0.5 * height)


def _texture(kind: str, coords: tuple, scale: float, phase: float):
  """Procedural texture in [-1, 1] of surface coordinates (metres).

  'stripes' varies along coords[0] only; the others use all coordinates.
  """
  if kind == 'plain':
    return np.zeros(np.broadcast_shapes(*(c.shape for c in coords)),
                    np.float32)
  if kind in ('checker', 'stripes'):
    used = coords if kind == 'checker' else coords[:1]
    cells = sum(np.floor(c * (1 / scale) + phase) for c in used)
    return 1 - 2 * (cells.astype(np.int32) & 1).astype(np.float32)
  freq = 2 * math.pi / scale  # 'noise': three oblique sine waves.
  waves = ((1.0, 0.6, 0.3), (-0.4, 1.1, 0.8), (0.9, -0.7, 1.2))
  return sum(np.sin(sum((freq * w) * c for w, c in zip(wave, coords))
                    + phase * (k + 1))
             for k, wave in enumerate(waves)) * (1 / 3)


class _Hit(NamedTuple):
  t: np.ndarray  # Ray parameter (z-depth); inf where missed.
  ndotl: np.ndarray  # Lambertian factor, clipped at 0.
  local: tuple  # Hit point in the object's frame (for textures).


def _intersect_cube(obj, o, d, light) -> _Hit:
  """Slab test in the object frame; the box spans y in [0, 2 * b]."""
  a, b, c = obj.half_size
  o = (o[0], o[1] - b, o[2])
  t_lo, t_hi = [], []
  for oi, di, h in zip(o, d, (a, b, c)):
    inv = 1 / di
    t1, t2 = (-h - oi) * inv, (h - oi) * inv
    t_lo.append(np.minimum(t1, t2))
    t_hi.append(np.maximum(t1, t2))
  t_near = np.maximum(np.maximum(t_lo[0], t_lo[1]), t_lo[2])
  t_far = np.minimum(np.minimum(t_hi[0], t_hi[1]), t_hi[2])
  t = np.where((t_near <= t_far) & (t_near > 0), t_near, np.inf)
  # The face hit is the slab that set t_near; its normal opposes the ray.
  facing = [-np.sign(di) * li for di, li in zip(d, light)]
  ndotl = np.where(t_near == t_lo[0], facing[0],
                   np.where(t_near == t_lo[1], facing[1], facing[2]))
  local = tuple(oi + t_near * di for oi, di in zip(o, d))
  return _Hit(t, np.maximum(ndotl, 0), local)


def _intersect_sphere(obj, o, d, light) -> _Hit:
  r = obj.half_size[0]
  o = (o[0], o[1] - r, o[2])
  b = o[0] * d[0] + o[1] * d[1] + o[2] * d[2]
  a = d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
  disc = b * b - a * (o[0] ** 2 + o[1] ** 2 + o[2] ** 2 - r * r)
  t = (-b - np.sqrt(np.maximum(disc, 0))) / a
  t = np.where((disc >= 0) & (t > 0), t, np.inf)
  local = tuple(oi + t * di for oi, di in zip(o, d))
  ndotl = sum(p * (li / r) for p, li in zip(local, light))
  return _Hit(t, np.maximum(ndotl, 0), local)


def _intersect_cylinder(obj, o, d, light) -> _Hit:
  """Vertical cylinder on y in [0, 2 * b]: side and top cap."""
  r, top = obj.half_size[0], 2 * obj.half_size[1]
  a = d[0] * d[0] + d[2] * d[2]
  b = o[0] * d[0] + o[2] * d[2]
  disc = b * b - a * (o[0] ** 2 + o[2] ** 2 - r * r)
  t_side = (-b - np.sqrt(np.maximum(disc, 0))) / a
  y_side = o[1] + t_side * d[1]
  t_side = np.where((disc >= 0) & (t_side > 0) & (y_side >= 0)
                    & (y_side <= top), t_side, np.inf)
  if o[1] > top:  # The cap is only reachable from outside when above it.
    t_cap = (top - o[1]) / d[1]
    on_cap = ((o[0] + t_cap * d[0]) ** 2 + (o[2] + t_cap * d[2]) ** 2
              <= r * r) & (t_cap > 0)
    t_cap = np.where(on_cap, t_cap, np.inf)
  else:
    t_cap = np.full_like(t_side, np.inf)
  cap = t_cap < t_side
  t = np.minimum(t_side, t_cap)
  local = tuple(oi + t * di for oi, di in zip(o, d))
  side_ndotl = (local[0] * light[0] + local[2] * light[2]) * (1 / r)
  return _Hit(t, np.maximum(np.where(cap, light[1], side_ndotl), 0), local)


_INTERSECT = {CUBE: _intersect_cube, SPHERE: _intersect_sphere,
              CYLINDER: _intersect_cylinder}


def _intersect(obj: SceneObject, origin, d, light) -> _Hit:
  """Intersects world rays (origin, d = (dx, dy, dz)) with an object."""
  ox, oz = obj.to_local(origin[0] - obj.x, origin[2] - obj.z)
  dx, dz = obj.to_local(d[0], d[2])
  lx, lz = obj.to_local(light[0], light[2])
  return _INTERSECT[obj.label](obj, (ox, origin[1], oz), (dx, d[1], dz),
                               (lx, light[1], lz))


def _stuff_t(camera: Camera, domain: DomainSpec, d):
  """Ray parameters of the ground, side walls and back wall (inf = miss)."""
  dx, dy, dz = d
  t_ground = np.where(dy < 0, camera.height / -dy, np.inf)
  if domain.background == 'sky':
    t_ground = np.where(t_ground <= domain.max_depth, t_ground, np.inf)
    return t_ground, np.inf, np.inf
  t_side = domain.room_half_width / np.abs(dx)
  t_back = np.where(dz > 0, (domain.room_depth - camera.position[2]) / dz,
                    np.inf)
  return t_ground, t_side, t_back


def _render_stuff(camera, domain, d, light, shape):
  """Depth, class, albedo [3, H, W] and Lambert buffers of the stuff."""
  dx, dy, dz = d
  cam_z = camera.position[2]
  t_ground, t_side, t_back = _stuff_t(camera, domain, d)
  depth = np.broadcast_to(np.minimum(t_ground, np.minimum(t_side, t_back)),
                          shape).astype(np.float32)
  is_sky = np.isinf(depth)
  is_ground = (depth == t_ground) & ~is_sky
  cls = np.full(shape, WALL, np.uint8)
  cls[is_ground] = GROUND
  cls[is_sky] = SKY

  # Ground texture fades with distance to limit aliasing.
  t_tex = np.where(np.isinf(t_ground), 0, t_ground)
  fade = np.exp(-2 * t_tex / (camera.focal * domain.texture_scales[GROUND]))
  tex = _texture(domain.textures[GROUND], (cam_z + t_tex * dz, t_tex * dx),
                 domain.texture_scales[GROUND], 0.0) * fade
  ndotl = np.full(shape, max(light[1], 0), np.float32)
  if domain.background == 'walls':
    side = t_side < t_back
    along = np.where(side, cam_z + depth * dz, depth * dx)
    wall_tex = _texture(domain.textures[WALL],
                        (along, camera.height + depth * dy),
                        domain.texture_scales[WALL], 0.0)
    tex = np.where(is_ground, tex, wall_tex)
    wall_ndotl = np.maximum(np.where(side, -np.sign(dx) * light[0], -light[2]),
                            0)
    ndotl = np.where(is_ground, ndotl, wall_ndotl)
  palette = np.asarray(domain.palette, np.float32).T
  albedo = np.take(palette, cls, axis=1) * (1 + domain.texture_contrast * tex)
  return depth, cls, albedo, ndotl


def _screen_rects(objects, camera: Camera, height: int, width: int):
  """Per object, a pixel rectangle (r0, r1, c0, c1) covering it, or None."""
  if not objects:
    return []
  v, u, z = camera.project(object_corners(objects))
  with np.errstate(invalid='ignore'):
    bounds = np.stack([np.floor(v.min(1)), np.ceil(v.max(1)),
                       np.floor(u.min(1)), np.ceil(u.max(1))], axis=1)
    bounds = np.clip(np.nan_to_num(bounds), 0, [height, height, width, width])
  rects = []
  for behind, (r0, r1, c0, c1) in zip((z < _NEAR).any(1).tolist(),
                                      bounds.astype(int).tolist()):
    if behind:
      rects.append((0, height, 0, width))
    else:
      rects.append((r0, r1, c0, c1) if r0 < r1 and c0 < c1 else None)
  return rects


def _composite_objects(objects, rects, camera, domain, d, light, buffers):
  """Z-buffers the objects into the buffers (instance id k + 1)."""
  depth, inst, cls, albedo, ndotl = buffers
  for k, (obj, rect) in enumerate(zip(objects, rects)):
    if rect is None:
      continue
    r0, r1, c0, c1 = rect
    window = np.s_[r0:r1, c0:c1]
    hit = _intersect(obj, camera.position,
                     (d[0][:, c0:c1], d[1][r0:r1], d[2][r0:r1]), light)
    win = hit.t < depth[window]
    if not win.any():
      continue
    np.copyto(depth[window], hit.t, where=win)
    inst[window][win] = k + 1
    cls[window][win] = obj.label
    np.copyto(ndotl[window], hit.ndotl, where=win)
    local = (hit.local[1], hit.local[0], hit.local[2])  # Stripes along y.
    tex = _texture(domain.textures[obj.label], local,
                   domain.texture_scales[obj.label], obj.texture_phase)
    base = np.asarray(domain.palette[obj.label], np.float32) * (
        1 + domain.colour_jitter * np.asarray(obj.albedo_jitter, np.float32))
    np.copyto(albedo[(slice(None),) + window],
              base[:, None, None] * (1 + domain.texture_contrast * tex),
              where=win)


_WINDOW = np.arange(-1, 2)


def _keypoints(objects, kept, rects, camera, domain, light, depth, inst):
  """Keypoints [N, 5, 3] (y, x, visibility) of the kept objects.

  Visibility: 0 if the point is behind the camera or projects outside the
  image (coordinates then 0); 2 if the buffers show it (some pixel of the
  3x3 window around its pixel shows its own object within
  KEYPOINT_DEPTH_TOL relative depth) AND nothing blocks the exact ray to the
  point (tested against all primitives and the stuff); 1 otherwise.
  """
  height, width = depth.shape
  points = object_keypoints([objects[k] for k in kept])
  v, u, z = camera.project(points)
  inside = (z > _NEAR) & (u >= 0) & (u < width) & (v >= 0) & (v < height)

  rows = np.clip(np.nan_to_num(v).astype(np.int32)[..., None, None] +
                 _WINDOW[:, None], 0, height - 1)
  cols = np.clip(np.nan_to_num(u).astype(np.int32)[..., None, None] +
                 _WINDOW, 0, width - 1)
  zw = z[..., None, None]
  own = ((inst[rows, cols] == np.arange(1, len(kept) + 1)[:, None, None, None])
         & (np.abs(depth[rows, cols] - zw) <= KEYPOINT_DEPTH_TOL * zw))
  visible = inside & own.any(axis=(-2, -1))

  if visible.any():  # Exact occlusion test of the candidates.
    pv, pu, pz = v[visible], u[visible], z[visible]
    rays = (points[visible] - np.asarray(camera.position, np.float32)
            ) / pz[:, None]
    d = (rays[:, 0], rays[:, 1], rays[:, 2])
    t_ground, t_side, t_back = _stuff_t(camera, domain, d)
    t_min = np.minimum(t_ground, np.minimum(t_side, t_back))
    for obj, rect in zip(objects, rects):
      if rect is None:
        continue
      r0, r1, c0, c1 = rect
      near = (pv >= r0) & (pv <= r1) & (pu >= c0) & (pu <= c1)
      if near.any():
        t = _intersect(obj, camera.position, tuple(di[near] for di in d),
                       light).t
        t_min[near] = np.minimum(t_min[near], t)
    visible[visible] = t_min >= pz * (1 - 1e-3)

  keypoints = np.stack([v / height, u / width, 1 + visible], axis=-1)
  return np.where(inside[..., None], keypoints, 0).astype(np.float32)


def _boxes(rects, inst, kept, height, width):
  """Tight normalised boxes of the (already renumbered) instance ids."""
  boxes = np.zeros((len(kept), 4), np.float32)
  for i, k in enumerate(kept):
    r0, r1, c0, c1 = rects[k]
    mask = inst[r0:r1, c0:c1] == i + 1
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    boxes[i] = ((r0 + rows[0]) / height, (c0 + cols[0]) / width,
                (r0 + rows[-1] + 1) / height, (c0 + cols[-1] + 1) / width)
  return boxes


def _smooth(image: np.ndarray, axis: int) -> np.ndarray:
  """[1, 2, 1] / 4 filter along `axis`, replicating the edges."""
  def at(index):
    return (slice(None),) * axis + (index,)
  out = image * 0.5
  out[at(slice(1, None))] += 0.25 * image[at(slice(None, -1))]
  out[at(slice(None, -1))] += 0.25 * image[at(slice(1, None))]
  out[at(0)] += 0.25 * image[at(0)]
  out[at(-1)] += 0.25 * image[at(-1)]
  return out


@functools.lru_cache(maxsize=8)
def _noise_field(height: int, width: int) -> np.ndarray:
  """A fixed standard normal field [3, 2H, 2W] (drawing fresh normals per
  image would cost more than the rest of the rendering)."""
  return np.random.default_rng(0).standard_normal((3, 2 * height, 2 * width),
                                                  np.float32)


def _sensor_noise(rng, height: int, width: int) -> np.ndarray:
  """Standard normal noise [3, H, W]: the normalised sum of two crops of
  `_noise_field` at random offsets (in distinct rows, so every pixel sums two
  independent values)."""
  field = _noise_field(height, width)
  r0, c0, c1 = rng.integers(0, (height, width, width))
  r1 = (r0 + rng.integers(1, height)) % height
  first = field[:, r0:r0 + height, c0:c0 + width]
  second = field[:, r1:r1 + height, c1:c1 + width]
  return (first + second) * math.sqrt(0.5)


def _shade(domain, d, depth, cls, albedo, ndotl, rng):
  """Lit, hazy, colour-cast, blurred and noisy uint8 image [H, W, 3]."""
  height, width = depth.shape
  column = lambda rgb: np.asarray(rgb, np.float32)[:, None, None]
  image = albedo * (ndotl * column(domain.light_colour) + domain.ambient)
  is_sky = cls == SKY
  sky_rows = np.flatnonzero(is_sky.any(1))
  if len(sky_rows):  # Horizon-to-zenith gradient by the ray's elevation.
    top = sky_rows[-1] + 1
    dy, dz = d[1][:top], d[2][:top]
    w = np.clip(-2.5 * dy / np.sqrt(dy * dy + dz * dz), 0, 1)
    sky = column(domain.sky_horizon) * (1 - w) + column(domain.palette[SKY]) * w
    np.copyto(image[:, :top], sky, where=is_sky[:top])
  if domain.haze_density > 0:
    haze_depth = np.where(is_sky, domain.max_depth, depth)
    trans = np.exp(-domain.haze_density * haze_depth)
    haze = column(domain.haze_colour)
    image = (image - haze) * trans + haze
  image = image * column(domain.gain) + column(domain.offset)
  for _ in range(domain.blur_passes):
    image = _smooth(_smooth(image, 1), 2)
  if domain.noise_sigma > 0:
    image += domain.noise_sigma * _sensor_noise(rng, height, width)
  image = np.clip(image * 255 + 0.5, 0, 255).astype(np.uint8)
  return np.ascontiguousarray(image.transpose(1, 2, 0))


def render(index_seed: int, domain: DomainSpec, height: int, width: int,
           layout: LayoutSpec | None = None) -> dict:
  """Renders scene `index_seed` in `domain` (with its layout, unless
  `layout` is given).

  Returns the example format of transfer/data/features.py (image,
  segmentation, depth, instances, objects/{bbox,label,keypoints,is_crowd},
  has_*; all annotations present) plus, for inspection and tests:
    'instance'      int32 [H, W]: 0 for stuff, i + 1 for output object i.
    'layout_index'  int64 [N]: index of each output object in
                    `sample_layout(index_seed, layout or domain.layout)`.
    'camera'        `Camera.as_dict()` (height, pitch in radians, focal,
                    cx, cy, position).
  """
  camera = sample_camera(index_seed, domain, height, width)
  objects = sample_layout(index_seed, layout or domain.layout)
  d = camera.rays(height, width)
  light = np.asarray(domain.light_dir, np.float64)
  light = tuple((light / np.linalg.norm(light)).tolist())
  with np.errstate(divide='ignore', invalid='ignore', over='ignore'):
    depth, cls, albedo, ndotl = _render_stuff(camera, domain, d, light,
                                              (height, width))
    inst = np.zeros((height, width), np.int32)
    rects = _screen_rects(objects, camera, height, width)
    _composite_objects(objects, rects, camera, domain, d, light,
                       (depth, inst, cls, albedo, ndotl))
    # Keep objects with visible pixels; renumber instances to output order.
    kept = np.flatnonzero(np.bincount(inst.ravel(),
                                      minlength=len(objects) + 1)[1:])
    renumber = np.zeros(len(objects) + 1, np.int32)
    renumber[kept + 1] = np.arange(1, len(kept) + 1)
    inst = renumber[inst]
    keypoints = (_keypoints(objects, kept, rects, camera, domain, light,
                            depth, inst) if len(kept) else
                 np.zeros((0, len(KEYPOINT_NAMES), 3), np.float32))
    image = _shade(domain, d, depth, cls, albedo, ndotl,
                   np.random.default_rng([index_seed, 2]))
  return {
      'image': image,
      'segmentation': cls.astype(np.uint16)[..., None],
      'depth': np.where(cls == SKY, 0, depth)[..., None],
      'instances': inst.astype(np.uint16)[..., None],
      'objects': {
          'bbox': _boxes(rects, inst, kept, height, width),
          'label': np.array([objects[k].label for k in kept], np.int64),
          'keypoints': keypoints,
          'is_crowd': np.zeros(len(kept), np.bool_),
      },
      'has_segmentation': True,
      'has_depth': True,
      'has_boxes': True,
      'has_keypoints': True,
      'has_instances': True,
      'instance': inst,
      'layout_index': kept.astype(np.int64),
      'camera': camera.as_dict(),
  }
