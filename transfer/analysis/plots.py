"""The analysis' figures as PNG: a source x target gain heat map grouped by
domain, box plots of gain by factor, and gain against target size."""

import io

from etils import epath
import matplotlib
# Figures without pyplot: no backend is chosen or changed (a notebook's stays).
from matplotlib.figure import Figure
from mpl_toolkits import axes_grid1
import numpy as np
import pandas as pd

from transfer import results
from transfer.analysis import report, stats


def labels(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
  """Short source and target names: the task is added where the table has
  several tasks, the target size where it has several sizes."""
  with_task = frame.source_task.nunique() > 1 or frame.target_task.nunique() > 1
  sizes = frame.train_examples.nunique(dropna=False) > 1

  def name(dataset, task):
    return f'{dataset} {task}' if with_task and task else dataset

  sources = pd.Series([name(d, t) for d, t in zip(frame.source, frame.source_task)],
                      index=frame.index)
  targets = pd.Series([name(d, t) for d, t in zip(frame.target, frame.target_task)],
                      index=frame.index)
  if sizes:
    targets += ' n=' + frame.train_examples.map(stats.size_level)
  return sources, targets


def _by_domain(names: pd.Series, domains: pd.Series,
               sizes: pd.Series | None = None) -> list[tuple[str, str]]:
  """(domain, name) in order: by domain, then name, smaller sizes first."""
  sizes = pd.Series(0.0, index=names.index) if sizes is None else sizes.fillna(np.inf)
  order = sorted(set(zip(domains, names, sizes)),
                 key=lambda x: (x[0], x[1].rsplit(' n=', 1)[0], x[2]))
  return list(dict.fromkeys((domain, name) for domain, name, _ in order))


def _save(fig, path) -> str:
  buffer = io.BytesIO()
  fig.savefig(buffer, format='png', dpi=110, bbox_inches='tight')
  report.write_atomic(epath.Path(path), buffer.getvalue())
  return str(path)


def heatmap(frame: pd.DataFrame, gain_label: str, path) -> str:
  """Sources (rows) x targets (columns), each grouped by domain, coloured by
  the mean gain (blue better, red worse, grey not run)."""
  sources, targets = labels(frame)
  rows = _by_domain(sources, frame.source_domain)
  cols = _by_domain(targets, frame.target_domain, frame.train_examples)
  grid = np.full((len(rows), len(cols)), np.nan)
  row_of = {name: i for i, (_, name) in enumerate(rows)}
  col_of = {name: j for j, (_, name) in enumerate(cols)}
  for source, target, gain in zip(sources, targets, frame.gain):
    grid[row_of[source], col_of[target]] = 100 * gain
  # Clear of the domain names right of the grid (about 0.06 inch a character).
  names_inches = 0.3 + 0.06 * max(len(d) for d, _ in rows)
  fig = Figure(figsize=(2.6 + 0.62 * len(cols) + names_inches, 1.6 + 0.42 * len(rows)))
  ax = fig.subplots()
  limit = np.nanmax(np.abs(grid)) if np.isfinite(grid).any() else 1.0
  cmap = matplotlib.colormaps['RdBu'].with_extremes(bad='0.85')
  image = ax.imshow(grid, cmap=cmap, vmin=-limit, vmax=limit, aspect='auto')
  if grid.size <= 600:
    for (i, j), value in np.ndenumerate(grid):
      if np.isfinite(value):
        ax.text(j, i, f'{value:+.1f}', ha='center', va='center', fontsize=7,
                color='white' if abs(value) > 0.6 * limit else 'black')
  ax.set_xticks(range(len(cols)), [name for _, name in cols], rotation=60, ha='right',
                fontsize=8)
  ax.set_yticks(range(len(rows)), [name for _, name in rows], fontsize=8)
  for groups, line, axis in ((rows, ax.axhline, 'y'), (cols, ax.axvline, 'x')):
    domains = [d for d, _ in groups]
    edges = [i for i in range(1, len(domains)) if domains[i] != domains[i - 1]]
    for edge in edges:
      line(edge - 0.5, color='black', linewidth=1.2)
    starts = [0, *edges]
    ends = [*edges, len(domains)]
    centres = [(a + b - 1) / 2 for a, b in zip(starts, ends)]
    names = [domains[a] for a in starts]
    if axis == 'x':
      top = ax.secondary_xaxis('top')
      top.set_xticks(centres, names, rotation=30, ha='left', fontsize=8)
    else:
      right = ax.secondary_yaxis('right')
      right.set_yticks(centres, names, fontsize=8)
  ax.set_xlabel('target (grouped by domain)')
  ax.set_ylabel('source (grouped by domain)')
  bar = axes_grid1.make_axes_locatable(ax).append_axes('right', size=0.15, pad=names_inches)
  fig.colorbar(image, cax=bar, label=gain_label)
  return _save(fig, path)


def factor_boxes(frame: pd.DataFrame, gain_label: str, path) -> str | None:
  """One box plot per factor: the pairs' gains at each of its levels; None
  when no factor has two levels."""
  levels = stats.factor_levels(frame)
  if not levels:
    return None
  widths = [max(2.0, 0.55 * level.nunique()) for level in levels.values()]
  fig = Figure(figsize=(1.2 * sum(widths) + 1, 4.2))
  axes = fig.subplots(1, len(levels), squeeze=False, gridspec_kw={'width_ratios': widths})
  rng = np.random.default_rng(0)  # Jitter of the points only.
  for ax, (factor, level) in zip(axes[0], levels.items()):
    names = sorted(level.unique(), key=stats.level_order)
    data = [100 * frame.gain[(level == n) & frame.gain.notna()].to_numpy() for n in names]
    ax.boxplot(data, tick_labels=names, showfliers=False)
    for i, values in enumerate(data, 1):
      ax.scatter(i + rng.uniform(-0.12, 0.12, len(values)), values, s=9, alpha=0.6,
                 color='tab:blue', zorder=3)
    ax.axhline(0, color='grey', linewidth=0.8, linestyle='--')
    ax.set_title(factor)
    if len(names) > 3 or max(map(len, names)) > 10:
      ax.set_xticks(ax.get_xticks(), names, rotation=45, ha='right', fontsize=8)
    else:
      ax.tick_params(axis='x', labelsize=8)
  axes[0][0].set_ylabel(gain_label)
  fig.tight_layout()
  return _save(fig, path)


def gain_by_target_size(frame: pd.DataFrame, gain_label: str, path) -> str | None:
  """Gain against the target's training-set size, each pair a point, with the
  mean and 95% interval of same- and cross-domain pairs; None when the table
  has fewer than two known sizes."""
  known = frame[frame.train_examples.notna() & frame.gain.notna()]
  sizes = sorted(known.train_examples.unique())
  if len(sizes) < 2:
    return None
  fig = Figure(figsize=(5.5, 3.8))
  ax = fig.subplots()
  for same, colour, name in ((True, 'tab:green', 'same domain'),
                             (False, 'tab:purple', 'different domain')):
    part = known[known.same_domain == same]
    if part.empty:
      continue
    ax.scatter(part.train_examples * (1.03 if same else 0.97), 100 * part.gain, s=12,
               alpha=0.45, color=colour)
    means = [results.mean_interval(part.gain[part.train_examples == n]) for n in sizes
             if (part.train_examples == n).any()]
    xs = [n for n in sizes if (part.train_examples == n).any()]
    mean = np.array([m for m, _, _ in means]) * 100
    low = np.array([lo for _, lo, _ in means]) * 100
    high = np.array([hi for _, _, hi in means]) * 100
    ax.plot(xs, mean, color=colour, marker='o', label=name)
    ax.fill_between(xs, low, high, color=colour, alpha=0.15)
  ax.axhline(0, color='grey', linewidth=0.8, linestyle='--')
  ax.set_xscale('log')
  ax.minorticks_off()
  ax.set_xticks(sizes, [str(int(n)) for n in sizes])
  ax.set_xlabel('target training examples')
  ax.set_ylabel(gain_label)
  ax.legend(fontsize=8)
  fig.tight_layout()
  return _save(fig, path)
