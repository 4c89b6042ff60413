"""What a table of runs says: gains per pair, per target, per factor, and how
well transferability scores rank the sources.

A pair's gain is its relative gain over the baseline of the same seed, or,
for a table without baselines, its relative difference to the target's mean
over sources; both are signed so that positive is better, for
lower-is-better metrics too, and averaged over seeds. A source beats the
baseline on a target when a one-sided paired t-test over seeds (transfer
against baseline, seed by seed) rejects "no better" at level alpha after
Benjamini-Hochberg correction over that target's sources.
"""

import math

import numpy as np
import pandas as pd
from scipy import stats

from transfer import results
from transfer.analysis.table import PAIR, TARGET, Table, split_domains

NOT_KNOWN = 'not known'


def _relative(value, reference, higher_is_better):
  sign = np.where(higher_is_better, 1.0, -1.0)
  with np.errstate(divide='ignore', invalid='ignore'):
    out = sign * (value - reference) / np.abs(reference)
  return np.where(np.isfinite(out), out, np.nan)


def _paired_p(group: pd.DataFrame) -> float:
  """One-sided paired t-test over seeds that the transfer beats the baseline
  (differences equal over all seeds: p = 0 if they are positive, else 1)."""
  if len(group) < 2:
    return math.nan
  sign = 1.0 if group.higher_is_better.iloc[0] else -1.0
  differences = sign * (group.value - group.baseline).to_numpy()
  if np.all(differences == differences[0]):  # No spread: the t statistic is undefined.
    return 0.0 if differences[0] > 0 else 1.0
  return float(stats.ttest_rel(sign * group.value, sign * group.baseline,
                               alternative='greater').pvalue)


def pairs(table: Table, alpha: float = 0.05) -> pd.DataFrame:
  """One row per (source, target, size): seeds, mean metric, mean gain and its
  95% Student-t interval over seeds, the paired test, and the factors."""
  runs = table.runs.copy()
  target_mean = runs.groupby([*TARGET, 'seed'], dropna=False).value.transform('mean')
  runs['relative_difference'] = _relative(runs.value, target_mean, runs.higher_is_better)
  runs['relative_gain'] = (_relative(runs.value, runs.baseline, runs.higher_is_better)
                           if table.has_baseline else np.nan)
  gain = 'relative_gain' if table.has_baseline else 'relative_difference'
  out = []
  for key, group in runs.groupby(list(PAIR), dropna=False, sort=False):
    defined = group[gain].dropna()
    mean, low, high = results.mean_interval(defined) if len(defined) else (math.nan,) * 3
    first = group.iloc[0]
    out.append({
        **dict(zip(PAIR, key)), 'source_domain': first.source_domain,
        'target_domain': first.target_domain, 'source_examples': first.source_examples,
        'metric': first.metric, 'higher_is_better': bool(first.higher_is_better),
        'seeds': len(group), 'undefined': len(group) - len(defined),
        'value': group.value.mean(), 'baseline': group.baseline.mean(),
        'gain': mean, 'low': low, 'high': high,
        'relative_difference': group.relative_difference.mean(),
        'p_value': _paired_p(group) if table.has_baseline else math.nan})
  frame = pd.DataFrame(out)
  frame['p_adjusted'] = np.nan
  for _, group in frame.groupby(list(TARGET), dropna=False):
    tested = group.p_value.dropna()
    if len(tested):
      frame.loc[tested.index, 'p_adjusted'] = stats.false_discovery_control(tested)
  frame['better'] = np.where(frame.p_adjusted.isna(), None, frame.p_adjusted < alpha)
  frame['same_domain'] = [split_domains(t) <= split_domains(s)
                          for s, t in zip(frame.source_domain, frame.target_domain)]
  frame['same_task'] = np.where((frame.source_task == '') | (frame.target_task == ''), None,
                                frame.source_task == frame.target_task)
  frame['broad'] = frame.source_domain.str.contains('+', regex=False)
  return frame


def targets(frame: pd.DataFrame, has_baseline: bool) -> pd.DataFrame:
  """Per target (and size): its best source, and whether any source beats
  the baseline (by the mean over seeds, and by the paired test)."""
  out = []
  for key, group in frame.groupby(list(TARGET), dropna=False, sort=False):
    ranked = group.dropna(subset=['gain'])
    best = ranked.loc[ranked.gain.idxmax()] if len(ranked) else None
    row = {**dict(zip(TARGET, key)), 'target_domain': group.target_domain.iloc[0],
           'sources': len(group), 'seeds': int(group.seeds.max()),
           'best_source': None if best is None else best.source,
           'best_source_task': None if best is None else best.source_task,
           'best_source_domain': None if best is None else best.source_domain,
           'best_gain': math.nan if best is None else best.gain,
           'best_in_target_domain': None if best is None else bool(best.same_domain)}
    if has_baseline:
      row['some_source_better_on_mean'] = bool((group.gain > 0).any())
      tested = group.p_adjusted.notna().any()
      row['some_source_better_by_test'] = bool(group.better.eq(True).any()) if tested else None
    out.append(row)
  return pd.DataFrame(out)


def size_level(n) -> str:
  return 'all' if pd.isna(n) else str(int(n))


def factor_levels(frame: pd.DataFrame) -> dict[str, pd.Series]:
  """Each factor's level per pair, for the factors with at least two levels
  in the table (a factor all pairs share tells nothing)."""
  levels = {'domain': frame.same_domain.map({True: 'same', False: 'different'})}
  if frame.same_task.notna().any():
    levels['task type'] = frame.same_task.map({True: 'same', False: 'different',
                                               None: NOT_KNOWN})
    levels['task pair'] = frame.source_task + ' -> ' + frame.target_task
  if frame.source_examples.notna().any():
    levels['source size'] = frame.source_examples.map(size_level)
  levels['target size'] = frame.train_examples.map(size_level)
  levels['source breadth'] = frame.broad.map({True: 'broad', False: 'narrow'})
  return {factor: level for factor, level in levels.items() if level.nunique() > 1}


def level_order(level: str):
  return (0, int(level), '') if level.isdigit() else (1, 0, level)


def factors(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float | None]]:
  """Gains grouped by each factor: per level the pairs, mean gain with its 95%
  interval over pairs, median and share of positive gains; and per factor the
  p-value that its levels differ (Mann-Whitney U for two levels, Kruskal-Wallis
  for more; None where the gains cannot tell)."""
  out, tests = [], {}
  for factor, levels in factor_levels(frame).items():
    samples = {}
    for level in sorted(levels.unique(), key=level_order):
      gains = frame.gain[(levels == level) & frame.gain.notna()]
      if len(gains):
        samples[level] = gains.to_numpy()
        mean, low, high = results.mean_interval(gains)
        out.append({'factor': factor, 'level': level, 'pairs': len(gains), 'mean_gain': mean,
                    'low': low, 'high': high, 'median_gain': float(gains.median()),
                    'share_positive': float((gains > 0).mean())})
    groups = list(samples.values())
    spread = len(groups) > 1 and np.ptp(np.concatenate(groups)) > 0
    tests[factor] = (None if not spread else
                     float(stats.mannwhitneyu(*groups).pvalue) if len(groups) == 2 else
                     float(stats.kruskal(*groups).pvalue))
  frame_out = pd.DataFrame(out, columns=['factor', 'level', 'pairs', 'mean_gain', 'low',
                                         'high', 'median_gain', 'share_positive'])
  frame_out['p_value'] = frame_out.factor.map(tests)
  return frame_out, tests


def score_evaluation(frame: pd.DataFrame, scores: pd.DataFrame) -> tuple[pd.DataFrame,
                                                                          pd.DataFrame]:
  """How well each score ranks a target's sources by their fine-tuned metric:
  per (score, target) Kendall's tau-b, weighted tau (scipy's defaults,
  hyperbolic weights on both rankings) and relative top-1 (the metric of the
  top-scored source over the best metric; for a lower-is-better metric, best
  over top); then the mean of each over targets. Scores and metrics are
  averaged over seeds first."""
  per_pair = scores.groupby([*PAIR, 'score_name'], dropna=False).score.mean().reset_index()
  merged = per_pair.merge(frame[[*PAIR, 'value', 'higher_is_better']], on=list(PAIR))
  out = []
  for (name, *target), group in merged.groupby(['score_name', *TARGET], dropna=False,
                                               sort=False):
    score, value = group.score.to_numpy(), group.value.to_numpy()
    higher = bool(group.higher_is_better.iloc[0])
    signed = value if higher else -value
    ranked = len(group) > 1 and np.ptp(score) > 0 and np.ptp(signed) > 0
    top = value[np.argmax(score)]
    top1 = top / value.max() if higher else value.min() / top
    out.append({'score_name': name, **dict(zip(TARGET, target)), 'sources': len(group),
                'kendall_tau': stats.kendalltau(score, signed).statistic if ranked else math.nan,
                'weighted_tau': stats.weightedtau(score, signed).statistic if ranked
                                else math.nan,
                'relative_top1': top1})
  per_target = pd.DataFrame(out)
  overall = per_target.groupby('score_name', sort=False).agg(
      kendall_tau=('kendall_tau', 'mean'), weighted_tau=('weighted_tau', 'mean'),
      relative_top1=('relative_top1', 'mean'), targets=('sources', 'size')).reset_index()
  return overall, per_target


def _mean_n(values: pd.Series) -> dict:
  values = values.dropna()
  return {'mean_relative_difference': float(values.mean()) if len(values) else None,
          'n': int(len(values))}


def _none_if_nan(x):
  if isinstance(x, (float, np.floating)) and math.isnan(x):
    return None
  if isinstance(x, np.generic):
    return x.item()
  return x


def summary(table: Table, frame: pd.DataFrame, per_target: pd.DataFrame,
            factor_frame: pd.DataFrame, tests: dict, scores: pd.DataFrame | None,
            alpha: float) -> dict:
  """The JSON summary (summary.json): see README, "Analysing results"."""
  out = {
      'results': table.path, 'gain_relative_to': table.reference,
      'metrics': sorted(frame.metric.unique()), 'pairs': int(len(frame)),
      'runs_excluded_not_finite': table.excluded,
      'seeds': int(frame.seeds.max()),
      'targets': int(len(per_target)),
      'best_source_in_target_domain': int(per_target.best_in_target_domain.fillna(False).sum()),
      'per_target': [
          {k: _none_if_nan(row[k]) for k in (*TARGET, 'target_domain', 'best_source',
                                              'best_source_task', 'best_source_domain',
                                              'best_gain')}
          for _, row in per_target.iterrows()],
      'same_domain': _mean_n(frame.relative_difference[frame.same_domain]),
      'cross_domain': _mean_n(frame.relative_difference[~frame.same_domain]),
  }
  if table.has_baseline:
    for name, mask in (('same_domain', frame.same_domain), ('cross_domain', ~frame.same_domain)):
      gains = frame.gain[mask].dropna()
      mean, low, high = results.mean_interval(gains) if len(gains) else (math.nan,) * 3
      out[name].update(mean_relative_gain=_none_if_nan(mean), low=_none_if_nan(low),
                       high=_none_if_nan(high))
    tested = per_target.some_source_better_by_test.notna()
    out['some_source_beats_baseline'] = {
        'on_mean': float(per_target.some_source_better_on_mean.mean()),
        'by_test': (float(per_target.some_source_better_by_test[tested].astype(bool).mean())
                    if tested.any() else None),
        'targets_tested': int(tested.sum()), 'alpha': alpha,
        'test': 'one-sided paired t-test over seeds, Benjamini-Hochberg over each '
                "target's sources"}
  out['factors'] = {
      factor: {'p_value': tests[factor],
               'levels': {row.level: {'pairs': int(row.pairs),
                                      'mean_gain': _none_if_nan(row.mean_gain),
                                      'low': _none_if_nan(row.low),
                                      'high': _none_if_nan(row.high)}
                          for row in factor_frame[factor_frame.factor == factor].itertuples()}}
      for factor in tests}
  if scores is not None:
    out['scores'] = {row.score_name: {'kendall_tau': _none_if_nan(row.kendall_tau),
                                      'weighted_tau': _none_if_nan(row.weighted_tau),
                                      'relative_top1': _none_if_nan(row.relative_top1),
                                      'targets': int(row.targets)}
                     for row in scores.itertuples()}
  return out
