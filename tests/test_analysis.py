"""transfer.analysis against hand computations: the published table read with
the csv module and plain loops, a study table with known seeds, and the
command line's outputs and errors."""

import base64
import collections
import csv
import json
import math
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from transfer import analysis, results
from transfer.analysis import __main__ as cli
from transfer.analysis import table as table_lib

PUBLISHED_FLAGS = [
    f'--results={analysis.PUBLISHED}', '--source_column=Source Dataset',
    '--target_column=Target Dataset', '--metric_column=Test Mean IoU',
    '--score_name_column=Transferability Metric',
    '--score_column=Transferability Metric Score', f'--domains={analysis.PUBLISHED_DOMAINS}']


def _published_rows():
  with open(analysis.PUBLISHED) as f:
    return list(csv.DictReader(f))


@pytest.fixture(scope='module')
def published():
  return analysis.analyse(analysis.load(str(analysis.PUBLISHED), analysis.PUBLISHED_SPEC))


def test_published_table_against_plain_loops(published):
  domains = json.loads(analysis.PUBLISHED_DOMAINS.read_text())
  miou = {}
  for row in _published_rows():
    miou[row['Source Dataset'], row['Target Dataset']] = float(row['Test Mean IoU'])
  by_target = collections.defaultdict(dict)
  for (source, target), value in miou.items():
    by_target[target][source] = value
  same, cross, in_domain = [], [], 0
  for target, values in by_target.items():
    mean = sum(values.values()) / len(values)
    for source, value in values.items():
      (same if domains[source] == domains[target] else cross).append((value - mean) / mean)
    best = max(values, key=values.get)
    in_domain += domains[best] == domains[target]
  s = published.summary
  assert s['targets'] == len(by_target) == 17
  assert s['pairs'] == len(miou) == 17 * 16
  assert s['best_source_in_target_domain'] == in_domain
  assert s['same_domain']['n'] == len(same) and s['cross_domain']['n'] == len(cross)
  assert s['same_domain']['mean_relative_difference'] == pytest.approx(np.mean(same), abs=1e-12)
  assert s['cross_domain']['mean_relative_difference'] == pytest.approx(np.mean(cross),
                                                                       abs=1e-12)
  best = {t['target']: t['best_source'] for t in s['per_target']}
  assert best == {t: max(v, key=v.get) for t, v in by_target.items()}
  assert 'some_source_beats_baseline' not in s  # No baseline in this table.


def test_published_scores_against_scipy_per_target(published):
  rows = _published_rows()
  for name in ('logme', 'leep'):
    taus, weighted, top1 = [], [], []
    for target in sorted({r['Target Dataset'] for r in rows}):
      mine = [r for r in rows if r['Target Dataset'] == target
              and r['Transferability Metric'] == name]
      score = [float(r['Transferability Metric Score']) for r in mine]
      miou = [float(r['Test Mean IoU']) for r in mine]
      taus.append(stats.kendalltau(score, miou).statistic)
      weighted.append(stats.weightedtau(score, miou).statistic)
      top1.append(miou[int(np.argmax(score))] / max(miou))
    got = published.summary['scores'][name]
    assert got['targets'] == 17
    assert got['kendall_tau'] == pytest.approx(np.mean(taus), abs=1e-12)
    assert got['weighted_tau'] == pytest.approx(np.mean(weighted), abs=1e-12)
    assert got['relative_top1'] == pytest.approx(np.mean(top1), abs=1e-12)
  assert set(published.summary['scores']) == {'gbc', 'hscore', 'leep', 'logme', 'nleep'}


# A study's results.csv: targets t1 (segmentation, higher is better) and t2
# (depth abs_rel, lower is better), sources s1 (same domain as t1), s2, s3;
# three seeds, two target sizes for t1.
DOMAINS = {'s1': 'a', 's2': 'b', 's3': 'a+b', 't1': 'a', 't2': 'c'}
TASKS = {'s1': 'segmentation', 's2': 'depth', 's3': 'segmentation', 't1': 'segmentation',
         't2': 'depth'}
BASE = {('t1', 10): 0.5, ('t1', 100): 0.6, ('t2', 10): 0.4}
# The transfer's metric minus the baseline's, per (source, target, size) and seed.
DELTA = {('s1', 't1', 10): (0.05, 0.06, 0.07), ('s2', 't1', 10): (-0.02, 0.01, -0.05),
         ('s3', 't1', 10): (0.03, 0.01, 0.02), ('s1', 't1', 100): (0.01, 0.02, 0.0),
         ('s2', 't1', 100): (0.0, -0.01, 0.01), ('s3', 't1', 100): (0.02, 0.02, 0.02),
         ('s1', 't2', 10): (0.1, 0.05, 0.0), ('s2', 't2', 10): (-0.04, -0.05, -0.03),
         ('s3', 't2', 10): (0.01, 0.02, -0.01)}
SEED_NOISE = (0.0, 0.01, -0.01)  # Added to baseline and transfer alike.


def _write_study(path, scores=False):
  rows = []
  for (source, target, n), deltas in DELTA.items():
    lower = target == 't2'
    for seed, (delta, noise) in enumerate(zip(deltas, SEED_NOISE)):
      baseline = BASE[target, n] + noise
      transfer = baseline + delta
      rows.append({
          'source_dataset': source, 'source_domain': DOMAINS[source],
          'source_task': TASKS[source], 'source_train_examples': 2000 if source == 's1' else 500,
          'target_dataset': target, 'target_domain': DOMAINS[target],
          'target_task': TASKS[target], 'train_examples': n, 'seed': seed,
          'metric': 'abs_rel' if lower else 'miou', 'higher_is_better': not lower,
          'baseline': baseline, 'transfer': transfer,
          **results.gains(transfer, baseline, not lower),
          'source_key': source, 'baseline_key': f'{target}{n}{seed}',
          'transfer_key': f'{source}{target}{n}{seed}'})
  columns = list(results.COLUMNS)
  if scores:
    columns.append('score_oracle')
    for row in rows:  # Equals the mean transfer metric's rank order.
      row['score_oracle'] = np.mean(DELTA[row['source_dataset'], row['target_dataset'],
                                          row['train_examples']]) * (
                                              -1 if row['target_dataset'] == 't2' else 1)
  with open(path, 'w', newline='') as f:
    writer = csv.DictWriter(f, columns)
    writer.writeheader()
    writer.writerows(rows)
  return rows


def _signed_relative(source, target, n):
  sign = -1 if target == 't2' else 1
  return [sign * d / (BASE[target, n] + e) for d, e in zip(DELTA[source, target, n], SEED_NOISE)]


def test_study_pairs_gains_intervals_and_paired_test(tmp_path):
  _write_study(tmp_path / 'results.csv')
  result = analysis.analyse(analysis.load(str(tmp_path)))  # A ROOT works too.
  pairs = result.pairs.set_index(['source', 'target', 'train_examples'])
  assert len(pairs) == len(DELTA)
  for (source, target, n), deltas in DELTA.items():
    row = pairs.loc[source, target, n]
    gains = _signed_relative(source, target, n)
    half = stats.t.ppf(0.975, 2) * np.std(gains, ddof=1) / math.sqrt(3)
    assert row.gain == pytest.approx(np.mean(gains), abs=1e-12)
    assert (row.low, row.high) == pytest.approx((np.mean(gains) - half, np.mean(gains) + half))
    d = np.array(deltas) * (-1 if target == 't2' else 1)
    if np.ptp(d) > 0:
      t = d.mean() / (d.std(ddof=1) / math.sqrt(3))
      assert row.p_value == pytest.approx(stats.t.sf(t, 2), rel=1e-9)
    else:  # Equal differences: certain.
      assert row.p_value == (0.0 if d[0] > 0 else 1.0)
  # Benjamini-Hochberg over each target's three sources, by hand.
  for (target, n), group in result.pairs.groupby(['target', 'train_examples']):
    p = group.p_value.to_numpy()
    order = np.argsort(p)
    adjusted = np.minimum.accumulate((p[order] * 3 / np.arange(1, 4))[::-1])[::-1]
    expected = np.empty(3)
    expected[order] = np.minimum(adjusted, 1)
    np.testing.assert_allclose(group.p_adjusted, expected, rtol=1e-12)
  assert pairs.loc['s1', 't1', 10].same_domain and pairs.loc['s3', 't1', 10].same_domain
  assert not pairs.loc['s2', 't1', 10].same_domain and pairs.loc['s3', 't2', 10].broad


def test_study_targets_and_factors_by_hand(tmp_path):
  _write_study(tmp_path / 'results.csv')
  result = analysis.analyse(analysis.load(str(tmp_path / 'results.csv')), alpha=0.05)
  mean = {key: np.mean(_signed_relative(*key)) for key in DELTA}
  targets = result.targets.set_index(['target', 'train_examples'])
  for target, n in BASE:
    best = max((s for s, t, m in DELTA if (t, m) == (target, n)),
               key=lambda s: mean[s, target, n])
    assert targets.loc[target, n].best_source == best
  assert result.summary['targets'] == 3
  in_domain = {k for k in DELTA if set(DOMAINS[k[1]].split('+')) <= set(DOMAINS[k[0]].split('+'))}
  assert result.summary['best_source_in_target_domain'] == sum(
      (targets.loc[k].best_source, *k) in in_domain for k in BASE)
  beats = result.summary['some_source_beats_baseline']
  assert beats['on_mean'] == 1.0 and beats['targets_tested'] == 3
  factors = result.factors.set_index(['factor', 'level'])
  same = [mean[k] for k in DELTA if k in in_domain]
  cross = [mean[k] for k in DELTA if k not in in_domain]
  assert factors.loc['domain', 'same'].mean_gain == pytest.approx(np.mean(same))
  assert factors.loc['domain', 'different'].mean_gain == pytest.approx(np.mean(cross))
  assert result.factor_tests['domain'] == pytest.approx(stats.mannwhitneyu(cross, same).pvalue)
  small = [mean[k] for k in DELTA if k[2] == 10]
  assert factors.loc['target size', '10'].mean_gain == pytest.approx(np.mean(small))
  assert factors.loc['target size', '10'].pairs == 6
  assert factors.loc['source size', '2000'].pairs == 3
  broad = [mean[k] for k in DELTA if k[0] == 's3']
  assert factors.loc['source breadth', 'broad'].mean_gain == pytest.approx(np.mean(broad))
  assert set(factors.loc['task pair'].index) == {
      'depth -> depth', 'depth -> segmentation', 'segmentation -> depth',
      'segmentation -> segmentation'}
  assert result.summary['same_domain']['mean_relative_gain'] == pytest.approx(np.mean(same))


def test_study_score_columns(tmp_path):
  _write_study(tmp_path / 'results.csv', scores=True)
  result = analysis.analyse(analysis.load(str(tmp_path / 'results.csv')))
  oracle = result.summary['scores']['oracle']
  # The score orders sources as their mean metric does (lower abs_rel first).
  assert oracle == {'kendall_tau': pytest.approx(1.0), 'weighted_tau': pytest.approx(1.0),
                    'relative_top1': pytest.approx(1.0), 'targets': 3}


def test_external_wide_scores_baseline_and_lower_is_better(tmp_path):
  path = tmp_path / 'table.csv'
  rows = [('x', 'y', 'driving', 'aerial', 2.0, 3.0, 0.9), ('z', 'y', 'aerial', 'aerial', 1.0,
                                                            3.0, 0.1),
          ('x', 'w', 'driving', 'driving', 5.0, 4.0, 0.2), ('z', 'w', 'aerial', 'driving', 3.0,
                                                            4.0, 0.8)]
  with open(path, 'w') as f:
    f.write('src,tgt,sd,td,err,base,score\n')
    f.writelines(','.join(map(str, r)) + '\n' for r in rows)
  spec = analysis.Spec(source='src', target='tgt', metric='err', baseline='base',
                       lower_is_better=True, source_domain='sd', target_domain='td',
                       score_columns=('score',))
  result = analysis.analyse(analysis.load(str(path), spec))
  gains = dict(zip(zip(result.pairs.source, result.pairs.target), result.pairs.gain))
  assert gains == pytest.approx({('x', 'y'): 1 / 3, ('z', 'y'): 2 / 3, ('x', 'w'): -1 / 4,
                                 ('z', 'w'): 1 / 4})
  # Lower error is better: y's best is z (score 0.1, wrong), w's best is z (score 0.8, right).
  assert result.summary['scores']['score']['relative_top1'] == pytest.approx(
      np.mean([1.0 / 2.0, 1.0]))
  assert result.summary['scores']['score']['kendall_tau'] == pytest.approx(0.0)
  assert result.summary['some_source_beats_baseline']['by_test'] is None  # One seed.


def test_catalogue_domains(tmp_path):
  path = tmp_path / 't.csv'
  path.write_text('s,t,m\ncityscapes,ade20k,0.3\nmapillary_vistas,ade20k,0.4\n'
                  'ade20k,cityscapes,0.5\nmapillary_vistas,cityscapes,0.7\n')
  result = analysis.analyse(analysis.load(str(path), analysis.Spec(source='s', target='t',
                                                                   metric='m')))
  assert result.summary['best_source_in_target_domain'] == 1  # mapillary for cityscapes.
  assert result.summary['same_domain'] == {'mean_relative_difference': pytest.approx(
      (0.7 - 0.6) / 0.6), 'n': 1}


def test_command_line_writes_report(tmp_path, capsys):
  out = tmp_path / 'out'
  assert cli.main([*PUBLISHED_FLAGS, f'--out={out}']) == 0
  printed = capsys.readouterr().out
  assert 'domain' in printed and 'same' in printed
  names = {p.name for p in out.iterdir()}
  assert {'summary.json', 'report.html', 'heatmap.png', 'factors.png', 'pairs.csv', 'pairs.md',
          'factors.md', 'targets.csv', 'scores.csv', 'scores.md'} <= names
  assert 'target_size.png' not in names  # The table has one size.
  page = (out / 'report.html').read_text()
  images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
  assert len(images) == 2 and all(base64.b64decode(i)[:8] == b'\x89PNG\r\n\x1a\n'
                                  for i in images)
  assert '<table' in page and 'src="http' not in page and 'href=' not in page
  markdown = (out / 'scores.md').read_text().splitlines()
  assert markdown[0].startswith('| score_name') and len(markdown) == 2 + 5
  summary = json.loads((out / 'summary.json').read_text())
  assert summary['targets'] == 17 and set(summary['scores']['logme']) == {
      'kendall_tau', 'weighted_tau', 'relative_top1', 'targets'}


def test_study_report_has_target_size_plot(tmp_path):
  _write_study(tmp_path / 'results.csv')
  written = analysis.write(analysis.analyse(analysis.load(str(tmp_path))), str(tmp_path / 'a'))
  assert 'target_size.png' in written and 'factors.png' in written


def _error(argv, capsys) -> str:
  assert cli.main(argv) == 1
  err = capsys.readouterr().err
  assert err.startswith('error: ') and 'Traceback' not in err and 'how to fix' in err
  return err


def test_bad_inputs_are_one_clear_error(tmp_path, capsys):
  out = f'--out={tmp_path / "out"}'
  assert 'No results table' in _error([f'--results={tmp_path / "none.csv"}', out], capsys)
  table = tmp_path / 't.csv'
  table.write_text('a,b,c\nx,y,1\n')
  err = _error([f'--results={table}', out], capsys)
  assert '--source_column' in err and "'a'" in err
  err = _error([f'--results={table}', '--source_column=a', '--target_column=b',
                '--metric_column=nope', out], capsys)
  assert "no column 'nope'" in err
  err = _error([f'--results={table}', '--source_column=a', '--target_column=b',
                '--metric_column=c', out], capsys)
  assert "No domain for the source dataset(s) 'x'" in err
  domains = tmp_path / 'd.json'
  domains.write_text('{"x": 3}')
  assert 'not an object of names to domains' in _error(
      [f'--results={table}', '--source_column=a', '--target_column=b', '--metric_column=c',
       f'--domains={domains}', out], capsys)
  table.write_text('a,b,c\nx,y,1\nx,z,nan\n')
  domains.write_text('{"x": "p", "y": "q", "z": ["p", "q"]}')
  err = _error([f'--results={table}', '--source_column=a', '--target_column=b',
                '--metric_column=c', f'--domains={domains}', out], capsys)
  assert 'not finite numbers (line(s) 3' in err
  table.write_text('a,b,c\nx,y,1\nx,y,2\n')
  assert 'repeat a (source, target, size, seed)' in _error(
      [f'--results={table}', '--source_column=a', '--target_column=b', '--metric_column=c',
       f'--domains={domains}', out], capsys)
  assert 'both its score-name and its score column' in _error(
      [f'--results={table}', '--source_column=a', '--target_column=b', '--metric_column=c',
       '--score_name_column=a', out], capsys)
  assert not (tmp_path / 'out').exists()  # Nothing written on an error.


def test_module_runs_as_a_command(tmp_path):
  done = subprocess.run([sys.executable, '-m', 'transfer.analysis',
                         f'--results={tmp_path}/missing', f'--out={tmp_path}/o'],
                        capture_output=True, text=True, timeout=120, check=False)
  assert done.returncode == 1 and 'Traceback' not in done.stderr
  assert done.stderr.startswith('error: No results table')


def test_study_runs_with_a_nan_metric_are_counted_not_fatal(tmp_path):
  rows = _write_study(tmp_path / 'results.csv')
  with open(tmp_path / 'results.csv') as f:
    lines = f.read().splitlines()
  index = results.COLUMNS.index('transfer')
  cells = lines[1].split(',')
  cells[index] = 'nan'  # A diverged transfer.
  lines[1] = ','.join(cells)
  (tmp_path / 'results.csv').write_text('\n'.join(lines) + '\n')
  result = analysis.analyse(analysis.load(str(tmp_path)))
  assert result.summary['runs_excluded_not_finite'] == 1
  first = result.pairs[(result.pairs.source == rows[0]['source_dataset'])
                       & (result.pairs.target == rows[0]['target_dataset'])
                       & (result.pairs.train_examples == rows[0]['train_examples'])]
  assert first.seeds.item() == 2


def test_out_that_is_a_file_or_unwritable(tmp_path, capsys):
  (tmp_path / 'file').write_text('keep')
  assert 'is a file, not a directory' in _error([*PUBLISHED_FLAGS, f'--out={tmp_path / "file"}'],
                                                capsys)
  assert (tmp_path / 'file').read_text() == 'keep'
  locked = tmp_path / 'locked'
  locked.mkdir()
  locked.chmod(0o500)
  try:
    if not os.access(locked, os.W_OK):  # Not when running as root.
      assert 'cannot write the analysis' in _error(
          [*PUBLISHED_FLAGS, f'--out={locked / "sub"}'], capsys)
  finally:
    locked.chmod(0o700)
