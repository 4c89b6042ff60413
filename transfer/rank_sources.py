"""Ranks source stages for a target by transferability metrics, before any fine-tuning.

  python -m transfer.rank_sources --target=ROOT/stages/<target stage> --sources=ROOT [--out=ranks.csv]
  python -m transfer.rank_sources --target=synthetic_street --task=segmentation \\
      --train_examples=20 --sources=ROOT/stages/<a> ROOT/stages/<b>

`--target` is a stage directory (its dataset, task, training subset and input
size) or a dataset name with `--task` (and optionally `--train_examples`);
`--sources` are source stage directories or study roots (every finished
source stage under ROOT/stages). Each source's features of the target's
training images (transfer/source_features.py) are scored by every metric of
transfer/transferability.py that fits the target: LogME only for a depth
target (regression on log depth); LEEP only for segmentation sources (it
needs the source head's class probabilities). The table has one row per
source: each metric's score and rank (1 = best), and is printed and, with
`--out`, written as CSV.

In a study, `config.transferability.metrics` (names of METRICS, or
('all',)) scores every (source, target training set) pair of its transfers
when the stages have finished (`score_study`); the scores are cached in
ROOT/transferability/ and land in results.csv as `score_<metric>` columns
beside the fine-tuned gains, where the analysis ranks each metric against
them (Kendall tau, weighted tau, relative top-1).
"""

import argparse
import hashlib
import json
import math
import os
import sys

from etils import epath

from transfer import source_features
from transfer import stages
from transfer import transferability
from transfer.errors import UserError

CLASSIFICATION = {
    'logme': lambda s: transferability.logme(s.features, s.labels),
    'hscore': lambda s: transferability.hscore(s.features, s.labels),
    'regularized_hscore': lambda s: transferability.regularized_hscore(s.features, s.labels),
    'nleep': lambda s: transferability.nleep(s.features, s.labels, seed=0),
    'gbc': lambda s: transferability.gbc(s.features, s.labels),
    'leep': lambda s: (transferability.leep(s.source_probs, s.labels)
                       if s.source_probs is not None else math.nan),
}
REGRESSION = {'logme': lambda s: transferability.logme(s.features, s.labels)}
METRICS = transferability.METRICS


def scores(sample: source_features.Sample, metrics=METRICS) -> dict[str, float]:
  """Each metric's score of one (source, target) sample; NaN where it does not apply."""
  table = REGRESSION if sample.regression else CLASSIFICATION
  return {name: float(table[name](sample)) if name in table else math.nan for name in metrics}


def source_dirs(paths, where: str = '--sources') -> list[str]:
  """Stage directories: each path itself, or a study root's finished sources."""
  out = []
  for path in paths:
    root = epath.Path(path)
    if (root / 'manifest.json').exists():
      out.append(str(root))
    elif (root / 'stages').is_dir():
      found = [str(d) for d in sorted((root / 'stages').iterdir())
               if (m := stages.read_manifest(str(d))) and m.get('role') == 'source'
               and stages.is_finished(m)]
      if not found:
        raise UserError(f'{path} holds no finished source stage.', where=where,
                        fix='run the study first, or name stage directories.')
      out += found
    else:
      raise UserError(f'{path} is neither a stage directory nor a study root.', where=where,
                      fix='name ROOT/stages/<name>-<key> directories or a study ROOT.')
  return out


def target_of(arg: str, task: str | None, train_examples: int | None) -> source_features.Target:
  if (epath.Path(arg) / 'manifest.json').exists():
    return source_features.Target.of_stage(source_features.finished_manifest(arg, '--target'))
  if not task:
    raise UserError(f'--target={arg} is a dataset name, which needs --task.', where='--task',
                    fix='add --task=segmentation|depth|detection|keypoints, or name a stage.')
  return source_features.Target(arg, task, train_examples)


def with_ranks(rows: list[dict], metrics) -> list[dict]:
  """Adds `<metric>_rank` (1 = highest score; NaN scores unranked)."""
  for name in metrics:
    ranked = sorted((r for r in rows if math.isfinite(r[name])), key=lambda r: -r[name])
    for rank, row in enumerate(ranked, 1):
      row[f'{name}_rank'] = rank
    for row in rows:
      row.setdefault(f'{name}_rank', None)
  return rows


def rank(target, sources, data_dir, metrics=METRICS, **sample_options) -> list[dict]:
  rows = []
  for stage_dir in sources:
    manifest = source_features.finished_manifest(stage_dir, '--sources')
    sample = source_features.sample(stage_dir, target, data_dir, **sample_options)
    rows.append({'source': manifest['name'], 'source_key': manifest['key'],
                 'source_task': manifest['task'], 'pixels': len(sample.labels),
                 **scores(sample, metrics)})
  return with_ranks(rows, metrics)


def study_metrics(config) -> tuple[str, ...]:
  metrics = tuple(config.transferability.metrics)
  return METRICS if metrics == ('all',) else metrics


def _pairs(root: str, keys=None, found=None):
  """(transfer manifest, source stage dir) of ROOT's finished transfers
  (those of `keys` only, if given); `found`: ROOT's manifests, if read."""
  found = stages.manifests(root) if found is None else found
  dirs = {m['key']: str(epath.Path(root) / 'stages' / f"{m['name']}-{m['key']}")
          for m in found.values()}
  for key, manifest in sorted(found.items()):
    if (manifest.get('role') == 'target' and stages.is_finished(manifest)
        and (keys is None or key in keys) and manifest.get('parent') in dirs):
      yield manifest, dirs[manifest['parent']]


def _cache(root: str, manifest: dict, metrics, options: dict):
  """(the file caching a transfer's pair's scores, the pair's Target)."""
  target = source_features.Target.of_stage(manifest)
  what = json.dumps([manifest['parent'], vars(target), list(metrics), options],
                    sort_keys=True, default=list)
  digest = hashlib.sha256(what.encode()).hexdigest()[:12]
  return epath.Path(root) / 'transferability' / f"{manifest['parent']}-{digest}.json", target


def score_root(root: str, data_dir, metrics, options: dict, keys=None) -> int:
  """Scores each (source, target training set) pair of ROOT's finished
  transfers that has no cached score; returns how many it scored. The
  transfers of one pair (seeds) share the pair's scores."""
  done = 0
  for manifest, source_dir in _pairs(root, keys):
    path, target = _cache(root, manifest, metrics, options)
    if not path.exists():
      sample = source_features.sample(source_dir, target, data_dir, **options)
      path.parent.mkdir(parents=True, exist_ok=True)
      # JSON has no NaN: a metric that does not apply is stored as null.
      stages.write_json_atomic(str(path), {k: None if math.isnan(v) else v
                                           for k, v in scores(sample, metrics).items()})
      done += 1
  return done


def root_scores(root: str, metrics, options: dict, keys=None,
                manifests=None) -> dict[str, dict[str, float]]:
  """{transfer key: {metric: score}} of the cached scores of ROOT's transfers
  (`manifests`: ROOT's, if already read)."""
  out = {}
  for manifest, _ in _pairs(root, keys, manifests):
    path, _ = _cache(root, manifest, metrics, options)
    if path.exists():
      out[manifest['key']] = json.loads(path.read_text())
  return out


def _study_options(config) -> dict:
  return {k: v for k, v in config.transferability.items() if k != 'metrics'}


def score_study(config, plans, root: str) -> int:
  """`score_root` for a study's transfers and config.transferability."""
  keys = {p.key for p in plans if p.role == 'target'}
  return score_root(root, config.data_dir, study_metrics(config), _study_options(config), keys)


def study_scores(config, plans, root: str, manifests=None) -> dict[str, dict[str, float]]:
  keys = {p.key for p in plans if p.role == 'target'}
  return root_scores(root, study_metrics(config), _study_options(config), keys, manifests)


def format_table(rows, metrics) -> str:
  header = ['source', *[f'{m} (rank)' for m in metrics]]
  lines = [header] + [[r['source'], *(
      f'{r[m]:.4g} ({r[f"{m}_rank"]})' if r[f'{m}_rank'] else 'n/a' for m in metrics)]
                      for r in rows]
  widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
  return '\n'.join('  '.join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines)


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
  parser.add_argument('--target', required=True,
                      help='a target stage directory, or a dataset name (with --task)')
  parser.add_argument('--task', default=None, help='segmentation, depth, detection or keypoints')
  parser.add_argument('--train_examples', type=int, default=None,
                      help="with a dataset name: the training subset's size (default all)")
  parser.add_argument('--sources', nargs='+', required=True,
                      help='source stage directories or study roots')
  parser.add_argument('--data_dir', default=None, help='TFDS data dir of the target dataset')
  parser.add_argument('--metrics', default=','.join(METRICS), help='comma-separated')
  parser.add_argument('--pixels_per_image', type=int, default=1000,
                      help='grid cells sampled per image')
  parser.add_argument('--uniform', action='store_true', help='no class-balanced sampling')
  parser.add_argument('--out', default=None, help='CSV file to write')
  args = parser.parse_args(argv)
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
  metrics = tuple(m for m in args.metrics.split(',') if m)
  try:
    unknown = set(metrics) - set(METRICS)
    if unknown:
      raise UserError(f'Unknown metric(s) {sorted(unknown)}.', where='--metrics',
                      fix=f'choose among {",".join(METRICS)}.')
    target = target_of(args.target, args.task, args.train_examples)
    rows = rank(target, source_dirs(args.sources), args.data_dir, metrics,
                pixels_per_image=args.pixels_per_image, class_balanced=not args.uniform)
  except UserError as e:
    print(f'error: {e}', file=sys.stderr)
    return 1
  print(format_table(rows, metrics))
  if args.out:
    import pandas as pd  # pylint: disable=g-import-not-at-top
    pd.DataFrame(rows).to_csv(args.out, index=False)
  return 0


if __name__ == '__main__':
  sys.exit(main())
