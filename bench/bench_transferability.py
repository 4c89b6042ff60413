"""How well transferability metrics rank a finished study's sources, beside the published table.

Scores every (source, target training set) pair of the finished transfers of
a study ROOT (transfer.rank_sources.score_root: every metric, cached in
ROOT/transferability/), writes results.csv with the score columns to --out,
and prints the analysis' evaluation of each metric against the fine-tuned
target metric (per target Kendall tau, weighted tau and relative top-1,
averaged over targets), then the same for the published table
(transfer/tables/foi_segmentation_transfer.csv: 17 segmentation targets of
16 sources each, HRNetV2-W48), and the wall time of the scoring.

  python bench/bench_transferability.py ROOT [--data_dir DIR] [--out CSV]

A study whose config sets `transferability.metrics` computes the same
scores itself; this reads any finished root, that of an older code version
included (its stage configs come from the manifests).
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from transfer import analysis, rank_sources, results, stages  # pylint: disable=wrong-import-position

OPTIONS = {'pixels_per_image': 1000, 'class_balanced': True, 'seed': 0}


def _table(frame) -> str:
  return frame[['score_name', 'kendall_tau', 'weighted_tau', 'relative_top1', 'targets']].to_string(
      index=False, float_format=lambda v: f'{v:+.3f}')


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
  parser.add_argument('root')
  parser.add_argument('--data_dir', default=None)
  parser.add_argument('--out', default=None, help='default: ROOT/transferability/results.csv')
  args = parser.parse_args(argv)
  out = args.out or os.path.join(args.root, 'transferability', 'results.csv')
  start = time.perf_counter()
  scored = rank_sources.score_root(args.root, args.data_dir, rank_sources.METRICS, OPTIONS)
  seconds = time.perf_counter() - start
  manifests = stages.manifests(args.root)
  scores = rank_sources.root_scores(args.root, rank_sources.METRICS, OPTIONS, manifests=manifests)
  table = results.rows(manifests, scores, scores)
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  with open(out, 'w') as f:
    f.write(results.to_csv(table))
  print(f'{len(scores)} transfers scored ({scored} pairs computed now, {seconds:.0f} s); {out}')
  study = analysis.analyse(analysis.load(out))
  print('\nThis study: mean over targets (target = dataset, task, train size)')
  print(_table(study.scores))
  print('\nPer target:')
  print(study.score_targets.to_string(index=False, float_format=lambda v: f'{v:+.3f}'))
  published = analysis.analyse(analysis.load(str(analysis.PUBLISHED), analysis.PUBLISHED_SPEC))
  print('\nThe published table (stable_transfer, 17 segmentation targets x 16 sources)')
  print(_table(published.scores))


if __name__ == '__main__':
  main()
