"""Writes dummy_data/: a tiny Mapillary Vistas tree in the layout of the
current research package (v1.2 labels), in the real formats:

  config_v1.2.json                        {"labels": [{color, instances,
                                           readable, name, evaluate}, ...]}
  {training,validation}/images/<key>.jpg  RGB JPEGs of varying size
  {training,validation}/v1.2/labels/<key>.png
                                          palette PNGs, index = label 0..65
                                          (65 = Unlabeled), palette = the
                                          config's colours

  python datasets/mapillary_vistas/make_dummy_data.py
"""

import json
import pathlib

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).parent / 'dummy_data'

# (readable, name, colour, instances) of the 66 v1.2 labels, in index order.
LABELS = (
    ('Bird', 'animal--bird', (165, 42, 42), True),
    ('Ground Animal', 'animal--ground-animal', (0, 192, 0), True),
    ('Curb', 'construction--barrier--curb', (196, 196, 196), False),
    ('Fence', 'construction--barrier--fence', (190, 153, 153), False),
    ('Guard Rail', 'construction--barrier--guard-rail', (180, 165, 180), False),
    ('Barrier', 'construction--barrier--other-barrier', (90, 120, 150), False),
    ('Wall', 'construction--barrier--wall', (102, 102, 156), False),
    ('Bike Lane', 'construction--flat--bike-lane', (128, 64, 255), False),
    ('Crosswalk - Plain', 'construction--flat--crosswalk-plain', (140, 140, 200), True),
    ('Curb Cut', 'construction--flat--curb-cut', (170, 170, 170), False),
    ('Parking', 'construction--flat--parking', (250, 170, 160), False),
    ('Pedestrian Area', 'construction--flat--pedestrian-area', (96, 96, 96), False),
    ('Rail Track', 'construction--flat--rail-track', (230, 150, 140), False),
    ('Road', 'construction--flat--road', (128, 64, 128), False),
    ('Service Lane', 'construction--flat--service-lane', (110, 110, 110), False),
    ('Sidewalk', 'construction--flat--sidewalk', (244, 35, 232), False),
    ('Bridge', 'construction--structure--bridge', (150, 100, 100), False),
    ('Building', 'construction--structure--building', (70, 70, 70), False),
    ('Tunnel', 'construction--structure--tunnel', (150, 120, 90), False),
    ('Person', 'human--person', (220, 20, 60), True),
    ('Bicyclist', 'human--rider--bicyclist', (255, 0, 0), True),
    ('Motorcyclist', 'human--rider--motorcyclist', (255, 0, 100), True),
    ('Other Rider', 'human--rider--other-rider', (255, 0, 200), True),
    ('Lane Marking - Crosswalk', 'marking--crosswalk-zebra', (200, 128, 128), True),
    ('Lane Marking - General', 'marking--general', (255, 255, 255), False),
    ('Mountain', 'nature--mountain', (64, 170, 64), False),
    ('Sand', 'nature--sand', (230, 160, 50), False),
    ('Sky', 'nature--sky', (70, 130, 180), False),
    ('Snow', 'nature--snow', (190, 255, 255), False),
    ('Terrain', 'nature--terrain', (152, 251, 152), False),
    ('Vegetation', 'nature--vegetation', (107, 142, 35), False),
    ('Water', 'nature--water', (0, 170, 30), False),
    ('Banner', 'object--banner', (255, 255, 128), True),
    ('Bench', 'object--bench', (250, 0, 30), True),
    ('Bike Rack', 'object--bike-rack', (100, 140, 180), True),
    ('Billboard', 'object--billboard', (220, 220, 220), True),
    ('Catch Basin', 'object--catch-basin', (220, 128, 128), True),
    ('CCTV Camera', 'object--cctv-camera', (222, 40, 40), True),
    ('Fire Hydrant', 'object--fire-hydrant', (100, 170, 30), True),
    ('Junction Box', 'object--junction-box', (40, 40, 40), True),
    ('Mailbox', 'object--mailbox', (33, 33, 33), True),
    ('Manhole', 'object--manhole', (100, 128, 160), True),
    ('Phone Booth', 'object--phone-booth', (142, 0, 0), True),
    ('Pothole', 'object--pothole', (70, 100, 150), False),
    ('Street Light', 'object--street-light', (210, 170, 100), True),
    ('Pole', 'object--support--pole', (153, 153, 153), True),
    ('Traffic Sign Frame', 'object--support--traffic-sign-frame', (128, 128, 128), True),
    ('Utility Pole', 'object--support--utility-pole', (0, 0, 80), True),
    ('Traffic Light', 'object--traffic-light', (250, 170, 30), True),
    ('Traffic Sign (Back)', 'object--traffic-sign--back', (192, 192, 192), True),
    ('Traffic Sign (Front)', 'object--traffic-sign--front', (220, 220, 0), True),
    ('Trash Can', 'object--trash-can', (140, 140, 20), True),
    ('Bicycle', 'object--vehicle--bicycle', (119, 11, 32), True),
    ('Boat', 'object--vehicle--boat', (150, 0, 255), True),
    ('Bus', 'object--vehicle--bus', (0, 60, 100), True),
    ('Car', 'object--vehicle--car', (0, 0, 142), True),
    ('Caravan', 'object--vehicle--caravan', (0, 0, 90), True),
    ('Motorcycle', 'object--vehicle--motorcycle', (0, 0, 230), True),
    ('On Rails', 'object--vehicle--on-rails', (0, 80, 100), False),
    ('Other Vehicle', 'object--vehicle--other-vehicle', (128, 64, 64), True),
    ('Trailer', 'object--vehicle--trailer', (0, 0, 110), True),
    ('Truck', 'object--vehicle--truck', (0, 0, 70), True),
    ('Wheeled Slow', 'object--vehicle--wheeled-slow', (0, 0, 192), True),
    ('Car Mount', 'void--car-mount', (32, 32, 32), False),
    ('Ego Vehicle', 'void--ego-vehicle', (120, 10, 10), False),
    ('Unlabeled', 'void--unlabeled', (0, 0, 0), False),
)

# key -> (height, width); Vistas keys are 22-character ids.
IMAGES = {
    'training': {'-1FOHq0uK5RLtbXLTZaNbw': (24, 32), '0035fkbjWljhaftpVM37-g': (32, 24)},
    'validation': {'_1Gn_xkw7sa_i9GU4mkxxQ': (24, 40)},
}


def label_map(height: int, width: int, index: int) -> np.ndarray:
  """Labels of image `index` (0, 1, ... in IMAGES order)."""
  labels = np.full((height, width), 65, np.uint8)  # Unlabeled but:
  labels[: height // 3] = 27            # Sky
  labels[-(height // 3):] = 13          # Road
  labels[height // 3:-(height // 3), :4] = 64  # Ego Vehicle (the last class)
  labels[height // 3:-(height // 3), 4:8] = index  # Bird, Ground Animal, Curb
  return labels


def main():
  config = {'labels': [
      {'color': list(color), 'instances': instances, 'readable': readable,
       'name': name, 'evaluate': readable != 'Unlabeled'}
      for readable, name, color, instances in LABELS]}
  ROOT.mkdir(parents=True, exist_ok=True)
  (ROOT / 'config_v1.2.json').write_text(json.dumps(config, indent=4))
  palette = [c for _, _, color, _ in LABELS for c in color]
  rng = np.random.default_rng(0)
  index = 0
  for folder, images in IMAGES.items():
    for key, (height, width) in images.items():
      image_path = ROOT / folder / 'images' / f'{key}.jpg'
      label_path = ROOT / folder / 'v1.2' / 'labels' / f'{key}.png'
      for path in (image_path, label_path):
        path.parent.mkdir(parents=True, exist_ok=True)
      Image.fromarray(rng.integers(0, 256, (height, width, 3), np.uint8)).save(
          image_path, quality=90)
      labels = Image.frombytes('P', (width, height), label_map(height, width, index).tobytes())
      labels.putpalette(palette)
      labels.save(label_path)
      index += 1


if __name__ == '__main__':
  main()
