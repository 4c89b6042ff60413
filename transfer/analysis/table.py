"""Reads a results table into runs: one row per (source, target, size, seed).

Two kinds of table are read:
- a study's `results.csv` (or its ROOT), recognised by its header
  (`transfer.results.COLUMNS`): it has a baseline per run, domains, tasks and
  sizes; columns named `score_<name>` are transferability scores;
- any other table, whose columns are named by a `Spec` (the command line's
  `--*_column` flags): a source, a target and a metric column at least.
  (A study's table is read the same way, with `study_spec`.)
  Domains come from columns, from a JSON file {dataset: domain or [domains]}
  (`Spec.domains`), or from the catalogue. Scores come as a long pair of
  columns (a score-name column and a score column) or as wide columns.

The runs frame has the columns RUN; `scores` (or None) has PAIR + seed +
score_name, score. A source mixing several domains has them joined by '+'.
"""

import dataclasses
import json
import math

from etils import epath
import numpy as np
import pandas as pd

from transfer import results
from transfer.errors import UserError

PAIR = ('source', 'source_task', 'target', 'target_task', 'train_examples')
TARGET = ('target', 'target_task', 'train_examples')
RUN = (*PAIR, 'seed', 'source_domain', 'target_domain', 'source_examples', 'metric',
       'higher_is_better', 'value', 'baseline')
SCORE_PREFIX = 'score_'


@dataclasses.dataclass(frozen=True)
class Spec:
  """Column names of a table (None: the table has no such column)."""
  source: str | None = None
  target: str | None = None
  metric: str | None = None
  baseline: str | None = None
  lower_is_better: bool = False
  seed: str | None = None
  train_size: str | None = None
  source_size: str | None = None
  source_task: str | None = None
  target_task: str | None = None
  source_domain: str | None = None
  target_domain: str | None = None
  score_name: str | None = None
  score: str | None = None
  score_columns: tuple[str, ...] = ()  # Named by their column, less SCORE_PREFIX.
  domains: str | None = None  # JSON file: {dataset name: domain or [domains]}
  # A study's results.csv: each row names its metric and direction, and a run
  # whose metric is not finite (a diverged stage) is counted and left out
  # instead of being an error.
  metric_name: str | None = None
  direction: str | None = None  # True where higher is better.
  skip_not_finite: bool = False


def study_spec(columns) -> Spec:
  """The Spec of a study's results.csv with these columns."""
  return Spec(source='source_dataset', target='target_dataset', metric='transfer',
              baseline='baseline', seed='seed', train_size='train_examples',
              source_size='source_train_examples' if 'source_train_examples' in columns
              else None, source_task='source_task', target_task='target_task',
              source_domain='source_domain', target_domain='target_domain',
              score_columns=tuple(c for c in columns if c.startswith(SCORE_PREFIX)),
              metric_name='metric', direction='higher_is_better', skip_not_finite=True)


@dataclasses.dataclass
class Table:
  runs: pd.DataFrame
  scores: pd.DataFrame | None
  has_baseline: bool
  path: str
  excluded: int = 0  # A study's runs left out: a metric that is not finite.

  @property
  def reference(self) -> str:
    """What a gain is relative to."""
    return 'the baseline' if self.has_baseline else "the target's mean over sources"

  @property
  def gain_label(self) -> str:
    return ('relative gain over the baseline (%)' if self.has_baseline else
            "relative difference to the target's mean over sources (%)")


def results_path(path: str) -> epath.Path:
  path = epath.Path(path)
  if path.is_dir():
    path = path / 'results.csv'
  if not path.exists():
    raise UserError(f'No results table at {path}.', where='--results',
                    fix="pass a study's results.csv or its ROOT (written when a study "
                    'finishes a transfer), or a CSV with source, target and metric columns.')
  return path


def load(path: str, spec: Spec | None = None) -> Table:
  """The runs (and scores) of the table at `path`: see the module docstring."""
  path = results_path(path)
  try:
    with path.open() as f:
      frame = pd.read_csv(f, keep_default_na=True)
  except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
    raise UserError(f'Cannot read {path} as CSV: {e}'.splitlines()[0], where='--results',
                    fix='pass a comma-separated table with a header row.') from e
  spec = spec or Spec()
  if set(results.COLUMNS) - {'source_train_examples'} <= set(frame.columns) and not spec.source:
    spec = study_spec(frame.columns)
  return _read(frame, spec, str(path))


def _numbers(frame, column: str, path: str, flag: str, required: bool) -> pd.Series:
  """`column` as floats; a cell that is not a number (or is NaN when
  `required`) is an error naming its line."""
  values = pd.to_numeric(frame[column], errors='coerce')
  bad = values.isna() & (frame[column].notna() | required)
  if required:
    bad |= ~np.isfinite(values.fillna(np.inf))
  if bad.any():
    lines = ', '.join(str(i + 2) for i in np.flatnonzero(bad)[:5])
    raise UserError(f'Column {column!r} of {path} holds {int(bad.sum())} value(s) that are '
                    f'not finite numbers (line(s) {lines}: {frame[column][bad].iloc[0]!r}).',
                    where=f'{path}, column {column!r} ({flag})',
                    fix='give a number in every row of that column, '
                    'or drop the rows of runs that failed.')
  return values.astype(np.float64)


def _column(frame, name: str | None, flag: str, path: str) -> str | None:
  if name is not None and name not in frame.columns:
    raise UserError(f'{path} has no column {name!r}.', where=flag,
                    fix=f'use one of its columns: {", ".join(map(repr, frame.columns))}.')
  return name


def _read(frame: pd.DataFrame, spec: Spec, path: str) -> Table:
  flags = {field.name: f'--{field.name}_column' for field in dataclasses.fields(Spec)}
  for required in ('source', 'target', 'metric'):
    if getattr(spec, required) is None:
      raise UserError(
          f'{path} is not a study results.csv, so its columns must be named.',
          where=flags[required], fix='name at least --source_column, --target_column and '
          f'--metric_column; its columns are: {", ".join(map(repr, frame.columns))}.')
  for name in ('source', 'target', 'metric', 'baseline', 'seed', 'train_size', 'source_size',
               'source_task', 'target_task', 'source_domain', 'target_domain', 'score_name',
               'score', 'metric_name', 'direction'):
    _column(frame, getattr(spec, name), flags[name], path)
  for name in spec.score_columns:
    _column(frame, name, '--score_columns', path)
  if (spec.score_name is None) != (spec.score is None):
    raise UserError('A long score table needs both its score-name and its score column.',
                    where='--score_name_column / --score_column',
                    fix='give both flags, or neither.')

  def text(name):
    return frame[name].astype(str) if name else pd.Series('', index=frame.index)

  def number(name, flag, required=False):
    return _numbers(frame, name, path, flag, required) if name else math.nan

  required = not spec.skip_not_finite
  runs = pd.DataFrame({
      'source': text(spec.source), 'source_task': text(spec.source_task),
      'target': text(spec.target), 'target_task': text(spec.target_task),
      'train_examples': number(spec.train_size, '--train_size_column'),
      'seed': number(spec.seed, '--seed_column', True) if spec.seed else 0.0,
      'source_examples': number(spec.source_size, '--source_size_column'),
      'metric': text(spec.metric_name) if spec.metric_name else spec.metric,
      'higher_is_better': (text(spec.direction).str.lower() == 'true' if spec.direction
                           else not spec.lower_is_better),
      'value': number(spec.metric, '--metric_column', required),
      'baseline': number(spec.baseline, '--baseline_column', required),
  }, index=frame.index)
  domains = _domain_map(spec.domains)
  runs['source_domain'] = _domains(frame, runs.source, spec.source_domain, domains, 'source')
  runs['target_domain'] = _domains(frame, runs.target, spec.target_domain, domains, 'target')
  scores = None
  if spec.score_name:
    scores = runs[[*PAIR, 'seed']].assign(
        score_name=frame[spec.score_name].astype(str),
        score=_numbers(frame, spec.score, path, '--score_column', True))
  elif spec.score_columns:
    scores = _wide_scores(runs, frame, spec.score_columns, path)
  finite = np.isfinite(runs.value) & np.isfinite(runs.baseline.fillna(0.0))
  runs = runs.loc[finite, list(RUN)]
  if runs.empty:
    raise UserError(f'{path} has no rows with finite metrics.', where='--results',
                    fix='pass a table with rows (a study writes one per finished transfer).')
  # A long score table repeats each run once per score: keep one.
  runs = runs.drop_duplicates().reset_index(drop=True)
  _check_unique(runs, path)
  return Table(runs, scores, has_baseline=spec.baseline is not None, path=path,
               excluded=int((~finite).sum()))


def _wide_scores(runs, frame, columns, path: str) -> pd.DataFrame:
  """Score columns as the long score table (empty cells: not scored)."""
  keys = runs[[*PAIR, 'seed']]
  parts = [keys.assign(score_name=column.removeprefix(SCORE_PREFIX),
                       score=_numbers(frame, column, path, '--score_columns', False))
           for column in columns]
  return pd.concat(parts, ignore_index=True).dropna(subset=['score'])


def _check_unique(runs: pd.DataFrame, path: str) -> None:
  keys = [*PAIR, 'seed']
  repeated = runs.duplicated(keys, keep=False)
  if repeated.any():
    row = runs[repeated].iloc[0]
    raise UserError(
        f'{path} has {int(repeated.sum())} rows that repeat a (source, target, size, seed) '
        f'with different values, e.g. source {row.source!r}, target {row.target!r}.',
        where='--results', fix='name the column that tells them apart (--seed_column, '
        '--train_size_column, --source_task_column / --target_task_column), or remove '
        'the repeats.')


def _domain_map(file: str | None) -> dict[str, str]:
  if file is None:
    return {}
  try:
    mapping = json.loads(epath.Path(file).read_text())
  except (OSError, json.JSONDecodeError) as e:
    raise UserError(f'Cannot read the domain map {file}: {e}', where='--domains',
                    fix='pass a JSON file {"dataset": "domain" or ["domain", ...], ...}.') from e
  if not isinstance(mapping, dict) or not all(
      isinstance(v, str) or (isinstance(v, list) and v and all(isinstance(d, str) for d in v))
      for v in mapping.values()):
    raise UserError(f'The domain map {file} is not an object of names to domains.',
                    where='--domains',
                    fix='write {"dataset": "domain" or ["domain", ...], ...}.')
  return {name: join_domains([v] if isinstance(v, str) else v) for name, v in mapping.items()}


def join_domains(domains) -> str:
  return '+'.join(sorted(set(domains)))


def split_domains(domain: str) -> set[str]:
  return set(domain.split('+'))


def _domains(frame, names: pd.Series, column: str | None, mapping: dict, side: str) -> pd.Series:
  """Each row's domain: from its column, else the map, else the catalogue."""
  if column:
    return frame[column].astype(str)
  from transfer.data import catalog  # pylint: disable=g-import-not-at-top
  known = set(catalog.names())
  missing = sorted(set(names) - set(mapping) - known)
  if missing:
    raise UserError(
        f'No domain for the {side} dataset(s) {", ".join(map(repr, missing))}.',
        where=f'--{side}_domain_column / --domains',
        fix='name a column holding the domains, or pass --domains=FILE with a JSON '
        'object mapping every dataset name to its domain (catalogue names need neither).')
  return names.map(lambda n: mapping[n] if n in mapping else catalog.get(n).domain)
