"""The analysis of a study's results, or of a published transfer table.

  python -m transfer.analysis --results ROOT_OR_CSV --out DIR [column flags]

From Python (a notebook):

  from transfer import analysis
  result = analysis.analyse(analysis.load('ROOT/results.csv'))
  result.factors            # gains by factor, as a pandas DataFrame
  analysis.write(result, 'DIR')

See `table` for the tables it reads, `stats` for what it computes (and the
test that judges "some source beats the baseline"), README "Analysing
results" for the files it writes.
"""

import dataclasses
import importlib.resources

from etils import epath
import pandas as pd

from transfer.analysis import plots, report, stats
from transfer.errors import UserError
from transfer.analysis.table import Spec, Table, load

# The published table shipped with the project, and the domains of its names.
PUBLISHED = importlib.resources.files('transfer') / 'tables' / 'foi_segmentation_transfer.csv'
PUBLISHED_DOMAINS = PUBLISHED.with_name('foi_segmentation_domains.json')
PUBLISHED_SPEC = Spec(source='Source Dataset', target='Target Dataset', metric='Test Mean IoU',
                      score_name='Transferability Metric', score='Transferability Metric Score',
                      domains=str(PUBLISHED_DOMAINS))


@dataclasses.dataclass
class Analysis:
  table: Table
  pairs: pd.DataFrame          # per (source, target, size)
  targets: pd.DataFrame        # per (target, size): best source, beats the baseline
  factors: pd.DataFrame        # per (factor, level): gains
  factor_tests: dict           # per factor: p-value that its levels differ
  scores: pd.DataFrame | None  # per transferability score: tau, weighted tau, top-1
  score_targets: pd.DataFrame | None  # the same per (score, target)
  summary: dict                # summary.json
  alpha: float


def analyse(table: Table, alpha: float = 0.05) -> Analysis:
  pairs = stats.pairs(table, alpha)
  targets = stats.targets(pairs, table.has_baseline)
  factors, tests = stats.factors(pairs)
  scores = score_targets = None
  if table.scores is not None and not table.scores.empty:
    scores, score_targets = stats.score_evaluation(pairs, table.scores)
  summary = stats.summary(table, pairs, targets, factors, tests, scores, alpha)
  return Analysis(table, pairs, targets, factors, tests, scores, score_targets, summary, alpha)


PAIR_COLUMNS = ('source', 'source_task', 'source_domain', 'target', 'target_task',
                'target_domain', 'train_examples', 'metric', 'seeds', 'undefined', 'value',
                'baseline', 'gain', 'low', 'high', 'relative_difference', 'p_value',
                'p_adjusted', 'better', 'same_domain', 'same_task', 'broad', 'source_examples')


def format_factors(result: Analysis) -> str:
  """The factor table as text (what the command prints)."""
  lines = [f'Gain relative to {result.table.reference}, per factor (mean over pairs '
           '[95% t-interval]; p: do the levels differ):']
  for factor, group in result.factors.groupby('factor', sort=False):
    p = result.factor_tests[factor]
    lines.append(f'  {factor}' + ('' if p is None else f'  (p = {p:.3g})'))
    for row in group.itertuples():
      interval = '' if pd.isna(row.low) else f' [{row.low:+.2%}, {row.high:+.2%}]'
      lines.append(f'    {row.level:<28}{row.pairs:>5} pairs  {row.mean_gain:+.2%}{interval}')
  return '\n'.join(lines)


def _notes(result: Analysis) -> list[str]:
  s = result.summary
  notes = [f'Results: {s["results"]}; {s["pairs"]} (source, target) pairs, {s["targets"]} '
           f'targets, up to {s["seeds"]} seed(s); metric(s): {", ".join(s["metrics"])}.',
           f'Gains are relative to {result.table.reference}, positive = better.'
           + (f' {s["runs_excluded_not_finite"]} run(s) left out: a metric is not finite.'
              if s['runs_excluded_not_finite'] else ''),
           f'The best source shares the target\'s domain for {s["best_source_in_target_domain"]}'
           f' of {s["targets"]} targets.']
  for name in ('same_domain', 'cross_domain'):
    part = s[name]
    if part['n']:
      notes.append(f'{name.replace("_", " ")} pairs: {part["n"]}, mean relative difference '
                   f'to the target mean {part["mean_relative_difference"]:+.2%}.')
  beats = s.get('some_source_beats_baseline')
  if beats:
    by_test = ('not tested (one seed)' if beats['by_test'] is None else
               f'{beats["by_test"]:.0%} of the {beats["targets_tested"]} tested by a '
               f'{beats["test"]} at alpha {beats["alpha"]}')
    notes.append(f'Some source beats the baseline on {beats["on_mean"]:.0%} of targets by '
                 f'the mean over seeds; {by_test}.')
  return notes


def write(result: Analysis, out: str) -> list[str]:
  """Writes the tables, figures, summary.json and report.html under `out`;
  returns the names written."""
  out = epath.Path(out)
  if out.exists() and not out.is_dir():
    raise UserError(f'{out} is a file, not a directory.', where='--out',
                    fix='name a directory (it is created if missing).')
  out.mkdir(parents=True, exist_ok=True)
  label = result.table.gain_label
  pairs = result.pairs[list(PAIR_COLUMNS)]
  tables = {'pairs': pairs, 'targets': result.targets, 'factors': result.factors}
  if result.scores is not None:
    tables.update(scores=result.scores, scores_per_target=result.score_targets)
  written = report.write_tables(out, tables)
  written.append(report.write_summary(out, result.summary))
  figures = [
      (plots.heatmap(result.pairs, label, out / 'heatmap.png'),
       'Mean gain per source and target, each grouped by domain (grey: not run).'),
      (plots.factor_boxes(result.pairs, label, out / 'factors.png'),
       'Gain of each pair by factor (points: pairs; boxes: quartiles).'),
      (plots.gain_by_target_size(result.pairs, label, out / 'target_size.png'),
       'Gain against target size: pairs, and the mean with its 95% interval for same- and '
       'cross-domain sources.')]
  figures = [(path, caption) for path, caption in figures if path]
  written += [epath.Path(path).name for path, _ in figures]
  sections = [('Gains by factor', 'Mean over pairs with 95% Student-t interval; p-value of a '
               'Mann-Whitney U (two levels) or Kruskal-Wallis test that the levels differ.',
               result.factors),
              ('Best source per target', 'The source with the highest mean gain.',
               result.targets)]
  if result.scores is not None:
    sections.append(('Transferability scores', 'Per score, averaged over targets: Kendall '
                     "tau-b and weighted tau between score and fine-tuned metric, and the "
                     'metric of the top-scored source over the best.', result.scores))
  sections.append(('All pairs', 'Mean over seeds; p: one-sided paired t-test against the '
                   'baseline, adjusted by Benjamini-Hochberg per target.', pairs))
  written.append(report.write_html(out, 'Transfer analysis', _notes(result), figures, sections))
  return written
