"""`python -m transfer.analysis --results ROOT_OR_CSV --out DIR`: see README,
"Analysing results"; `--help` lists the flags."""

import argparse
import sys

from transfer import analysis
from transfer.errors import UserError


def parse(argv) -> argparse.Namespace:
  parser = argparse.ArgumentParser(
      prog='python -m transfer.analysis',
      description="Analyses a study's results.csv (or its ROOT), or any table with source, "
      'target and metric columns: gains by factor, best sources, plots, report.html.')
  parser.add_argument('--results', required=True, help="results.csv, a study ROOT, or a CSV")
  parser.add_argument('--out', required=True, help='directory for the tables, figures, '
                      'summary.json and report.html')
  parser.add_argument('--alpha', type=float, default=0.05,
                      help='level of the paired test over seeds (default 0.05)')
  columns = parser.add_argument_group(
      'columns of a table that is not a study results.csv')
  for name, what in (('source', 'source dataset'), ('target', 'target dataset'),
                     ('metric', 'fine-tuned target metric'),
                     ('baseline', "baseline metric (else gains are relative to the target's "
                      'mean over sources)'),
                     ('seed', 'seed'), ('train_size', 'target training examples'),
                     ('source_size', 'source training examples'),
                     ('source_task', 'source task'), ('target_task', 'target task'),
                     ('source_domain', 'source domain'), ('target_domain', 'target domain'),
                     ('score_name', 'score name (long score tables)'),
                     ('score', 'score value (long score tables)')):
    columns.add_argument(f'--{name}_column', default=None, metavar='NAME',
                         help=f'column of the {what}')
  columns.add_argument('--score_columns', default='', metavar='A,B',
                       help='score columns of a wide table, comma-separated')
  columns.add_argument('--lower_is_better', action='store_true',
                       help='lower metric values are better (default: higher)')
  columns.add_argument('--domains', default=None, metavar='FILE',
                       help='JSON {dataset: domain or [domains]} (default: the catalogue)')
  return parser.parse_args(argv)


def main(argv=None) -> int:
  args = parse(argv)
  if not 0 < args.alpha < 1:
    print(f'error: --alpha={args.alpha} is not in (0, 1).\n  where: --alpha\n'
          '  how to fix: use a level such as 0.05.', file=sys.stderr)
    return 2
  spec = analysis.Spec(
      **{name: getattr(args, f'{name}_column') for name in (
          'source', 'target', 'metric', 'baseline', 'seed', 'train_size', 'source_size',
          'source_task', 'target_task', 'source_domain', 'target_domain', 'score_name',
          'score')},
      lower_is_better=args.lower_is_better,
      score_columns=tuple(c for c in args.score_columns.split(',') if c),
      domains=args.domains)
  try:
    result = analysis.analyse(analysis.load(args.results, spec), alpha=args.alpha)
    written = analysis.write(result, args.out)
  except UserError as e:
    print(f'error: {e}', file=sys.stderr)
    return 1
  except OSError as e:  # An unwritable --out, a full disk.
    print(f'error: cannot write the analysis: {e}\n  where: --out={args.out}\n'
          '  how to fix: name a directory you can write to.', file=sys.stderr)
    return 1
  print(analysis.format_factors(result))
  print(f'Wrote {", ".join(written)} to {args.out}')
  return 0


if __name__ == '__main__':
  sys.exit(main())
