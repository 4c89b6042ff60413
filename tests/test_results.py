"""Comparing transfer with its baseline: gains by their definition, zero and
non-finite baselines, and the short table of a 1 x 1 study."""

import pytest

from transfer import results


@pytest.mark.parametrize('transfer,baseline,higher_is_better,absolute,relative', [
    (0.60, 0.50, True, 0.10, 0.20),      # mIoU up by 0.1 on 0.5: +20%.
    (0.40, 0.50, True, -0.10, -0.20),
    (0.09, 0.12, False, 0.03, 0.25),     # AbsRel down 0.12 -> 0.09: +25%.
    (0.15, 0.12, False, -0.03, -0.25),
    (-0.2, -0.4, True, 0.2, 0.5),        # A negative baseline divides by |b|.
])
def test_gains_follow_their_definition(transfer, baseline, higher_is_better,
                                       absolute, relative):
  gains = results.gains(transfer, baseline, higher_is_better)
  assert gains['absolute_gain'] == pytest.approx(absolute)
  assert gains['relative_gain'] == pytest.approx(relative)


def test_zero_baseline_has_an_absolute_gain_and_no_relative_one():
  assert results.gains(0.25, 0.0, True) == {'absolute_gain': 0.25, 'relative_gain': None}
  assert results.gains(0.0, 0.0, False) == {'absolute_gain': 0.0, 'relative_gain': None}


@pytest.mark.parametrize('transfer,baseline', [(float('nan'), 0.5), (0.5, float('nan')),
                                               (float('inf'), 0.5)])
def test_non_finite_metrics_give_no_gain(transfer, baseline):
  assert results.gains(transfer, baseline, True) == {'absolute_gain': None,
                                                     'relative_gain': None}


def _row(transfer, baseline, higher_is_better=True):
  return {'source_dataset': 's', 'source_domain': 'a', 'source_task': 'segmentation',
          'target_dataset': 't', 'target_domain': 'b', 'target_task': 'detection',
          'metric': 'ap', 'higher_is_better': higher_is_better,
          'baseline': baseline, 'transfer': transfer,
          **results.gains(transfer, baseline, higher_is_better)}


def test_table_shows_the_relative_gain():
  lines = results.format_table(_row(0.6, 0.5), 'scratch').splitlines()
  assert lines[-1].split() == ['relative', 'gain', '+20.00%']
  assert not any('nan' in line.lower() for line in lines)


def test_table_of_a_zero_baseline_says_why_and_shows_the_difference():
  lines = results.format_table(_row(0.0312, 0.0), 'scratch').splitlines()
  assert lines[-2] == f"{'relative gain':<24}undefined (baseline is 0)"
  assert lines[-1].split() == ['absolute', 'gain', '+0.0312']
  assert not any('nan' in line.lower() for line in lines)


def test_table_of_a_non_finite_metric_says_so():
  lines = results.format_table(_row(float('nan'), 0.5), 'scratch').splitlines()
  assert lines[-1] == f"{'relative gain':<24}undefined (a metric is not finite)"
