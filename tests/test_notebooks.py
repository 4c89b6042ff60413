"""Every notebook in colabs/ runs headless on tiny settings (nbclient), so
none rots; and each imports only what the project declares."""

import ast
import importlib.metadata
import pathlib
import re
import sys

from IPython.core.inputtransformer2 import TransformerManager
import nbformat
from nbclient import NotebookClient
import pytest

COLABS = pathlib.Path(__file__).resolve().parent.parent / 'colabs'
NOTEBOOKS = sorted(COLABS.glob('*.ipynb'))


def tiny_settings(name: str, tmp_path, data_dir) -> dict:
  """Values that replace the notebook's parameters cell (papermill-style: a
  cell after it), so a run takes seconds."""
  return {
      'browse_dataset.ipynb': {'DATA_DIR': data_dir, 'COUNT': 2},
      'run_study.ipynb': {'VARIANT': 'smoke', 'DATA_DIR': data_dir,
                          'WORKDIR': str(tmp_path / 'study')},
      'analyse_results.ipynb': {'OUT': str(tmp_path / 'analysis')},
  }[name]


def _code(cell) -> str:
  """A code cell as plain Python (IPython's ! and % lines become calls)."""
  return TransformerManager().transform_cell(cell.source)


def test_every_notebook_has_tiny_settings_an_install_cell_and_parameters(tmp_path):
  assert {p.name for p in NOTEBOOKS} == {'analyse_results.ipynb', 'browse_dataset.ipynb',
                                         'run_study.ipynb'}
  for path in NOTEBOOKS:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert "'google.colab' in sys.modules" in nb.cells[1].source, path.name
    tagged = [c for c in nb.cells if 'parameters' in c.metadata.get('tags', [])]
    assert len(tagged) == 1, path.name
    names = {t.id for node in ast.parse(tagged[0].source).body for t in node.targets}
    assert set(tiny_settings(path.name, tmp_path, 'x')) <= names, path.name
    assert all(not c.get('outputs') for c in nb.cells if c.cell_type == 'code'), (
        f'{path.name} is stored with outputs: clear them')


def _declared_modules() -> set[str]:
  """Top-level modules of the project's install requirements (not its
  test or convert extras)."""
  requirements = [r for r in importlib.metadata.requires('transfer') if 'extra ==' not in r]
  distributions = {re.split(r'[=<>~! ;\[]', r)[0].lower().replace('_', '-')
                   for r in requirements}
  modules = importlib.metadata.packages_distributions()
  return {module for module, dists in modules.items()
          if any(d.lower().replace('_', '-') in distributions for d in dists)}


def test_notebooks_import_only_declared_dependencies():
  allowed = _declared_modules() | set(sys.stdlib_module_names) | {
      'transfer', 'transfer_datasets', 'IPython'}  # IPython: every notebook kernel has it.
  for path in NOTEBOOKS:
    for cell in nbformat.read(path, as_version=4).cells:
      if cell.cell_type != 'code':
        continue
      for node in ast.walk(ast.parse(_code(cell))):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                 [node.module] if isinstance(node, ast.ImportFrom) else [])
        for name in names:
          assert name.split('.')[0] in allowed, f'{path.name} imports undeclared {name}'


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path, synthetic_data_dir):
  nb = nbformat.read(path, as_version=4)
  index = next(i for i, c in enumerate(nb.cells) if 'parameters' in c.metadata.get('tags', []))
  settings = tiny_settings(path.name, tmp_path, str(synthetic_data_dir))
  nb.cells.insert(index + 1, nbformat.v4.new_code_cell(
      '\n'.join(f'{name} = {value!r}' for name, value in settings.items())))
  NotebookClient(nb, timeout=600, kernel_name='python3',
                 resources={'metadata': {'path': str(COLABS)}}).execute()
  outputs = [o for c in nb.cells if c.cell_type == 'code' for o in c.outputs]
  assert not [o for o in outputs if o.output_type == 'error']
  if path.name != 'run_study.ipynb':  # The others draw.
    assert [o for o in outputs if 'image/png' in o.get('data', {})], f'{path.name} drew nothing'
  printed = ''.join(o.text for o in outputs if o.output_type == 'stream')
  for expected in EXPECTED[path.name]:
    assert re.search(expected, printed), f'{path.name} did not print {expected!r}:\n{printed}'


# What each notebook prints on its tiny settings, numbers included.
EXPECTED = {
    # The synthetic scenes' label space and split size.
    'browse_dataset.ipynb': [r'domain synthetic-sunny, tasks segmentation, depth, boxes, '
                             r'keypoints, 6 classes, 2000 train examples'],
    # Source, baseline and transfer each finished their 2 smoke steps.
    'run_study.ipynb': [rf'{role} +finished +\S+ = \d\.\d{{4}} +\(2 steps'
                        for role in ('source', 'baseline', 'target')],
    # The published table's domain factor (README, "Analysing results").
    'analyse_results.ipynb': [r'different +224 pairs +-2\.08% \[-3\.19%, -0\.97%\]',
                              r'same +48 pairs +\+9\.71% \[\+5\.10%, \+14\.32%\]'],
}
