"""Converts a PyTorch ImageNet checkpoint into an Orbax checkpoint of a backbone.

  python -m transfer.tools.convert_torch --arch hrnet_w48 --src hrnet_w48.pth --out /data/ilsvrc/hrnet_w48

Reads timm's hrnet_w18/w32/w48 or torchvision's resnet18/50/101 state dicts,
from `.safetensors` (no torch needed) or from a torch file with
`torch.load(weights_only=True)`, which refuses to unpickle arbitrary objects.
Every tensor it could not place and every backbone array it did not find is
named; a missing array fails, unless the backbone declares it as a layer
ImageNet checkpoints do not have (`NEW_LAYERS`, e.g. ResNet's FPN).

The output directory holds a checkpoint in the layout of a stage's
checkpoints (step 0; `params/backbone/...`, `batch_stats/backbone/...`) and
`conversion.json` (arch, backbone config, source file and its SHA-256, the
tensors left out). Use it with

  --config.<stage>.init.kind=ilsvrc --config.<stage>.init.checkpoint=DIR
  --config.<stage>.model.backbone=hrnet --config.<stage>.model.hrnet.width=48
"""

import argparse
import hashlib
import json
import os
import sys

import numpy as np

from transfer import checkpoints, models
from transfer.errors import UserError

# --arch: (backbone module, its kwargs, the architecture's name upstream).
ARCHS = {
    'hrnet_w18': ('hrnet', {'width': 18}, "timm's hrnet_w18"),
    'hrnet_w32': ('hrnet', {'width': 32}, "timm's hrnet_w32"),
    'hrnet_w48': ('hrnet', {'width': 48}, "timm's hrnet_w48"),
    'resnet18': ('resnet', {'depth': 18}, "torchvision's resnet18"),
    'resnet50': ('resnet', {'depth': 50}, "torchvision's resnet50"),
    'resnet101': ('resnet', {'depth': 101}, "torchvision's resnet101"),
}
_WRAPPERS = ('state_dict', 'model', 'module')  # Keys some trainers nest weights under.


def read_state_dict(path: str) -> dict[str, np.ndarray]:
  """Tensors of a .safetensors or torch checkpoint file as float32 numpy arrays."""
  where = f'--src {path}'
  if not os.path.isfile(path):
    raise UserError(f'No checkpoint file at {path}.', where=where,
                    fix='download the ImageNet weights (e.g. from timm or torchvision) '
                    'on a machine with internet access and pass the file with --src.')
  if path.endswith('.safetensors'):
    from safetensors.numpy import load_file  # pylint: disable=g-import-not-at-top
    return {k: np.asarray(v, np.float32) for k, v in load_file(path).items()}
  try:
    import torch  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise UserError('Reading a torch checkpoint needs PyTorch.', where=where,
                    fix="pip install -e '.[convert]' (or convert the file to "
                    '.safetensors elsewhere).') from e
  try:
    state = torch.load(path, map_location='cpu', weights_only=True)
  except Exception as e:  # torch raises several types for bad or unsafe files.
    raise UserError(f'Cannot read {path} as a weights-only torch checkpoint: {e}',
                    where=where, fix='pass a state dict saved with torch.save('
                    'model.state_dict(), ...) or a .safetensors file.') from e
  while isinstance(state, dict) and len(state) == 1 and next(iter(state)) in _WRAPPERS:
    state = next(iter(state.values()))
  if not isinstance(state, dict):
    raise UserError(f'{path} holds a {type(state).__name__}, not a state dict.',
                    where=where, fix='save model.state_dict(), not the model.')
  return {k: v.detach().float().numpy() for k, v in state.items()
          if hasattr(v, 'detach')}


def convert(arch: str, src: str, out: str) -> dict:
  """Writes the converted checkpoint and conversion.json; returns the report."""
  if arch not in ARCHS:
    raise UserError(f'Unknown --arch {arch!r}.', where='--arch',
                    fix=f'use one of: {", ".join(ARCHS)}.')
  if os.path.exists(out) and os.listdir(out):
    raise UserError(f'Output directory {out} is not empty.', where='--out',
                    fix='choose a new directory (nothing was overwritten).')
  module_name, kwargs, upstream = ARCHS[arch]
  module = models.get_module(module_name, '--arch')
  state = read_state_dict(src)
  try:
    variables, unused, missing = module.convert_torch(state, **kwargs)
  except ValueError as e:
    raise UserError(f'{src} does not fit {upstream}: {e}', where='--src',
                    fix=f'pass a checkpoint of {upstream}, or pick the matching --arch.') from e
  new_layers = tuple(getattr(module, 'NEW_LAYERS', ()))
  not_found = [p for p in missing if p.split('/')[1] not in new_layers]
  if not_found:
    raise UserError(
        f'{len(not_found)} backbone array(s) not found in {src}: '
        + '; '.join(not_found[:20]) + (f' ... ({len(not_found) - 20} more)'
                                        if len(not_found) > 20 else ''),
        where='--src', fix=f'pass a checkpoint of {upstream}, or pick the matching --arch.')
  mngr = checkpoints.manager(os.path.join(out, 'checkpoints'))
  checkpoints.save(mngr, 0, {k: {'backbone': v} for k, v in variables.items()},
                   {'converted_from': os.path.abspath(src)}, force=True)
  mngr.wait_until_finished()
  mngr.close()
  with open(src, 'rb') as f:
    digest = hashlib.sha256(f.read()).hexdigest()
  report = {'arch': arch, 'upstream': upstream, 'backbone': module_name,
            'backbone_kwargs': kwargs, 'source': os.path.abspath(src), 'sha256': digest,
            'unused_tensors': sorted(unused), 'not_in_checkpoint': sorted(missing)}
  with open(os.path.join(out, 'conversion.json'), 'w') as f:
    json.dump(report, f, indent=2)
  return report


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--arch', required=True, help=', '.join(ARCHS))
  parser.add_argument('--src', required=True, help='.pth/.pt/.bin or .safetensors file')
  parser.add_argument('--out', required=True, help='new output directory')
  args = parser.parse_args(argv)
  try:
    report = convert(args.arch, args.src, args.out)
  except UserError as e:
    print(f'error: {e}', file=sys.stderr)
    return 1
  print(f'Converted {report["upstream"]} from {args.src} to {args.out}/checkpoints.')
  print(f'Left out {len(report["unused_tensors"])} tensor(s) (classifier): '
        + ', '.join(report['unused_tensors'][:8])
        + (' ...' if len(report['unused_tensors']) > 8 else ''))
  if report['not_in_checkpoint']:
    print(f'{len(report["not_in_checkpoint"])} new backbone array(s) keep their fresh '
          'initialisation: ' + ', '.join(report['not_in_checkpoint'][:8]))
  print(f'Use: --config.<stage>.init.kind=ilsvrc --config.<stage>.init.checkpoint='
        f'{os.path.abspath(os.path.join(args.out, "checkpoints"))} '
        f'--config.<stage>.model.backbone={report["backbone"]} ' + ' '.join(
            f'--config.<stage>.model.{report["backbone"]}.{k}={v}'
            for k, v in report['backbone_kwargs'].items()))
  return 0


if __name__ == '__main__':
  sys.exit(main())
