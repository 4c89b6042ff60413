"""Single-process throughput of the synthetic scene renderer, per domain.

Needs the project installed (`pip install -e .`), which provides
`transfer_datasets`. Usage: python bench/bench_render.py [--size 128] [--n 500]
"""

import os

# One thread, so the figure is per core (set before numpy is imported).
for _var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS'):
  os.environ[_var] = '1'

import argparse  # pylint: disable=g-import-not-at-top,wrong-import-position
import time

from transfer_datasets.synthetic import render


def main():
  parser = argparse.ArgumentParser(description=__doc__)
  parser.add_argument('--size', type=int, default=128,
                      help='Image height and width.')
  parser.add_argument('--n', type=int, default=500,
                      help='Images per domain.')
  args = parser.parse_args()
  render.render(0, render.DOMAINS['sunny'], args.size, args.size)  # Warm up.
  total = 0.0
  for name, spec in render.DOMAINS.items():
    start = time.perf_counter()
    for index in range(args.n):
      render.render(index, spec, args.size, args.size)
    seconds = time.perf_counter() - start
    total += seconds
    print(f'{name:>12}: {args.n / seconds:7.1f} images/s '
          f'({1e3 * seconds / args.n:.2f} ms/image)')
  count = args.n * len(render.DOMAINS)
  print(f'{"all":>12}: {count / total:7.1f} images/s at '
        f'{args.size}x{args.size}, 1 thread')


if __name__ == '__main__':
  main()
