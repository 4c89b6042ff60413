"""Backbones by name: `model.backbone = 'convnet'` imports transfer.models.convnet."""

import importlib
import pkgutil

from transfer.errors import UserError

_NOT_BACKBONES = ('conv', 'dense')


def backbone_names() -> list[str]:
  return sorted(m.name for m in pkgutil.iter_modules(__path__)
                if m.name not in _NOT_BACKBONES)


def get_module(name: str, where: str):
  """The module transfer.models.<name>: `Backbone`, optional `NEW_LAYERS`
  (submodules ImageNet checkpoints lack) and `convert_torch`."""
  if name not in backbone_names():
    raise UserError(f'Unknown backbone {name!r}.', where=where,
                    fix=f'use one of: {", ".join(backbone_names())}.')
  return importlib.import_module(f'{__name__}.{name}')


def get_backbone(name: str, where: str):
  """Returns the `Backbone` module class of transfer.models.<name>."""
  return get_module(name, where).Backbone


def new_layers(name: str) -> tuple[str, ...]:
  """Backbone submodules that ImageNet checkpoints do not have."""
  return tuple(getattr(get_module(name, 'model.backbone'), 'NEW_LAYERS', ()))
