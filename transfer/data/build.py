"""`tfds build` for the catalogue's datasets, by catalogue name.

  python -m transfer.data.build cityscapes --manual_dir=~/downloads/cityscapes [--data_dir=DIR]

This is TFDS's own `tfds build` command (same flags: `--manual_dir`,
`--data_dir`, `--overwrite`, `--max_examples_per_split`, ...; see `--help`),
with catalogue names translated to their builders and the array_record file
format (random access: transfer/data/pipeline.py) by default. It exists because the
`tfds` console script of tensorflow-datasets 4.9.10 imports Apache Beam at
start-up (for its `convert_format` command), which this project does not
install; `tfds build datasets/<name>/<name>.py ...` works where Beam is
installed.
"""

import sys

import simple_parsing
from tensorflow_datasets.scripts.cli import build as tfds_build

from transfer.data import catalog


def translate(argv: list[str]) -> list[str]:
  """Catalogue names among the positional arguments -> TFDS names, plus
  `--imports` of their builder modules."""
  known = set(catalog.names())
  out, imports = [], []
  for arg in argv:
    if arg in known:
      info = catalog.get(arg)
      out.append(info.tfds_name)
      imports.append(info.builder_module)
    else:
      out.append(arg)
  if imports:
    out.append('--imports=' + ','.join(dict.fromkeys(imports)))
  if not any(arg.startswith('--file_format') for arg in argv):
    out.append('--file_format=array_record')  # What the input pipeline reads.
  return out


def main(argv: list[str] | None = None) -> None:
  argv = sys.argv[1:] if argv is None else argv
  args = simple_parsing.parse(tfds_build.Args, args=translate(argv),
                              prog='python -m transfer.data.build')
  args.execute()


if __name__ == '__main__':
  main()
