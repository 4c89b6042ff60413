"""A study's results table (ROOT/results.csv), rebuilt from its stages' manifests.

One row per finished transfer stage with its finished baseline (same
target, train size and seed). Gains are positive when the transfer is
better, for lower-is-better metrics too; undefined gains are empty cells.
"""

import csv
import io
import math

import numpy as np
from scipy import stats

COLUMNS = ('source_dataset', 'source_domain', 'source_task', 'source_train_examples',
           'target_dataset',
           'target_domain', 'target_task', 'train_examples', 'seed', 'metric',
           'higher_is_better', 'baseline', 'transfer', 'absolute_gain', 'relative_gain',
           'source_key', 'baseline_key', 'transfer_key')


def gains(transfer: float, baseline: float, higher_is_better: bool) -> dict:
  """How much better the transfer is than the baseline (positive = better).

  `absolute_gain` is the metric difference, `relative_gain` that difference
  over |baseline|; either is None where it is undefined (a relative gain over
  a zero baseline, or a metric that is not finite), never NaN.
  """
  sign = 1.0 if higher_is_better else -1.0
  finite = math.isfinite(transfer) and math.isfinite(baseline)
  absolute = sign * (transfer - baseline) if finite else None
  relative = absolute / abs(baseline) if finite and baseline != 0 else None
  return {'absolute_gain': absolute, 'relative_gain': relative}


def rows(manifests: dict[str, dict], transfer_keys, scores=None) -> list[dict]:
  """The table rows of the transfers `transfer_keys` that have finished, with
  their source's and baseline's manifests (`manifests` by key) and, from
  `scores` ({transfer key: {metric: score}}), `score_<metric>` columns."""
  scores = scores or {}
  table = []
  for key in transfer_keys:
    transfer = manifests.get(key)
    if not transfer or transfer['state'] != 'finished':
      continue
    baseline, source = manifests.get(transfer['baseline']), manifests[transfer['parent']]
    if not baseline or baseline['state'] != 'finished':
      continue
    metric = transfer['metric']
    base_value, transfer_value = baseline['metrics'][metric], transfer['metrics'][metric]
    table.append({
        'source_dataset': source['dataset'], 'source_domain': source['domain'],
        'source_task': source['task'],
        'source_train_examples': source.get('train_examples_used'),
        'target_dataset': transfer['dataset'],
        'target_domain': transfer['domain'], 'target_task': transfer['task'],
        'train_examples': transfer['train_examples'], 'seed': transfer['seed'],
        'metric': metric, 'higher_is_better': transfer['higher_is_better'],
        'baseline': base_value, 'transfer': transfer_value,
        **gains(transfer_value, base_value, transfer['higher_is_better']),
        'source_key': source['key'], 'baseline_key': baseline['key'],
        'transfer_key': transfer['key'],
        **{f'score_{name}': value for name, value in scores.get(key, {}).items()}})
  return table


def to_csv(table: list[dict]) -> str:
  """COLUMNS, then the score columns any row has (empty where a row lacks
  one, or where it is None: a metric that does not apply)."""
  columns = [*COLUMNS, *sorted({k for row in table for k in row if k.startswith('score_')})]
  out = io.StringIO()
  writer = csv.DictWriter(out, columns, lineterminator='\n')
  writer.writeheader()
  for row in table:
    writer.writerow({k: '' if row.get(k) is None else row[k] for k in columns})
  return out.getvalue()


def mean_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
  """Mean and two-sided Student-t confidence interval over seeds
  (NaN bounds for a single value)."""
  values = np.asarray(values, np.float64)
  mean = float(values.mean())
  if len(values) < 2:
    return mean, math.nan, math.nan
  half = float(stats.t.ppf(0.5 + confidence / 2, len(values) - 1)
               * values.std(ddof=1) / math.sqrt(len(values)))
  return mean, mean - half, mean + half


GROUP = ('source_dataset', 'source_task', 'target_dataset', 'target_task', 'train_examples')


def summary(table: list[dict]) -> list[dict]:
  """Per (source, target, train size): seeds and mean relative gain with its
  95% interval (`undefined` counts seeds whose relative gain is undefined)."""
  groups: dict[tuple, list[dict]] = {}
  for row in table:
    groups.setdefault(tuple(row[k] for k in GROUP), []).append(row)
  out = []
  for group, members in groups.items():
    defined = [r['relative_gain'] for r in members if r['relative_gain'] is not None]
    mean, low, high = mean_interval(defined) if defined else (math.nan,) * 3
    out.append(dict(zip(GROUP, group), metric=members[0]['metric'], seeds=len(members),
                    undefined=len(members) - len(defined), mean_relative_gain=mean,
                    low=low, high=high))
  return out


def format_summary(groups: list[dict]) -> str:
  """The mean relative gain over seeds per pair, with its 95% interval."""
  label = lambda g, side: f'{g[side + "_dataset"]} {g[side + "_task"]}'
  width = {side: max([len(label(g, side)) + 2 for g in groups] + [minimum])
           for side, minimum in (('source', 32), ('target', 30))}
  lines = [f'{"source":<{width["source"]}}{"target":<{width["target"]}}{"n":>6}{"seeds":>6}  '
           'mean relative gain [95% interval]']
  for g in groups:
    gain = ('undefined' if math.isnan(g['mean_relative_gain'])
            else f'{g["mean_relative_gain"]:+.2%}')
    if not math.isnan(g['low']):
      gain += f' [{g["low"]:+.2%}, {g["high"]:+.2%}]'
    if g['undefined']:
      gain += f' ({g["undefined"]} seed(s) undefined: baseline 0 or not finite)'
    size = 'all' if g['train_examples'] is None else g['train_examples']
    lines.append(f'{label(g, "source"):<{width["source"]}}{label(g, "target"):<{width["target"]}}'
                 f'{size:>6}{g["seeds"]:>6}  {gain}  ({g["metric"]})')
  return '\n'.join(lines)


def _why_undefined(row: dict) -> str:
  if row['absolute_gain'] is None:
    return 'undefined (a metric is not finite)'
  return 'undefined (baseline is 0)'


def format_table(row: dict, baseline_init: str) -> str:
  """The short table of one transfer beside its baseline."""
  arrow = 'higher' if row['higher_is_better'] else 'lower'
  absolute, relative = row['absolute_gain'], row['relative_gain']
  lines = [
      f"source  {row['source_dataset']} ({row['source_domain']}, {row['source_task']})",
      f"target  {row['target_dataset']} ({row['target_domain']}, {row['target_task']})",
      f"metric  {row['metric']} ({arrow} is better)",
      f"{'baseline (' + baseline_init + ')':<24}{row['baseline']:>10.4f}",
      f"{'transfer':<24}{row['transfer']:>10.4f}",
      f"{'relative gain':<24}" + (f'{relative:>+10.2%}' if relative is not None
                                  else _why_undefined(row)),
  ]
  if relative is None and absolute is not None:
    lines.append(f"{'absolute gain':<24}{absolute:>+10.4f}")
  return '\n'.join(lines)
