"""Writes an analysis: tables as CSV and Markdown, summary.json, and one
self-contained report.html with the figures embedded."""

import base64
import html
import json
import math
import os

from etils import epath
import pandas as pd

PERCENT = ('gain', 'low', 'high', 'relative_difference', 'mean_gain', 'median_gain',
           'best_gain', 'share_positive')
GENERAL = ('p_value', 'p_adjusted', 'value', 'baseline', 'kendall_tau', 'weighted_tau',
           'relative_top1')


def write_atomic(path: epath.Path, data: bytes | str) -> None:
  """Writes beside `path`, then renames: a reader never sees half a file."""
  tmp = path.parent / f'.{path.name}.{os.getpid()}.tmp'
  if isinstance(data, str):
    tmp.write_text(data)
  else:
    tmp.write_bytes(data)
  tmp.replace(path)


def _cell(column: str, value):
  if value is None or (isinstance(value, float) and math.isnan(value)):
    return ''
  if column in PERCENT:
    return f'{100 * value:+.2f}%' if column != 'share_positive' else f'{100 * value:.0f}%'
  if column in GENERAL:
    return f'{value:.4g}'
  if column in ('train_examples', 'source_examples') and isinstance(value, float):
    return str(int(value))
  return value


def readable(frame: pd.DataFrame) -> pd.DataFrame:
  """`frame` with gains as signed percentages and numbers rounded, for
  Markdown and HTML (the CSVs keep full precision)."""
  return pd.DataFrame({c: [_cell(c, v) for v in frame[c]] for c in frame.columns},
                      index=frame.index)


def write_tables(out: epath.Path, tables: dict[str, pd.DataFrame]) -> list[str]:
  written = []
  for name, frame in tables.items():
    write_atomic(out / f'{name}.csv', frame.to_csv(index=False))
    write_atomic(out / f'{name}.md', readable(frame).to_markdown(index=False) + '\n')
    written += [f'{name}.csv', f'{name}.md']
  return written


def write_summary(out: epath.Path, summary: dict) -> str:
  write_atomic(out / 'summary.json', json.dumps(summary, indent=2, allow_nan=False) + '\n')
  return 'summary.json'


def _image(path: str, title: str) -> str:
  data = base64.b64encode(epath.Path(path).read_bytes()).decode('ascii')
  return (f'<figure><img alt="{html.escape(title)}" src="data:image/png;base64,{data}">'
          f'<figcaption>{html.escape(title)}</figcaption></figure>')


_STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; }
th { background: #f3f3f3; }
img { max-width: 100%; }
figcaption { font-size: 0.85em; color: #555; }
code { background: #f3f3f3; padding: 0 0.2em; }
"""


def write_html(out: epath.Path, title: str, notes: list[str], figures: list[tuple[str, str]],
               tables: list[tuple[str, str, pd.DataFrame]]) -> str:
  """report.html: notes (HTML-escaped lines), figures (path, caption) embedded
  as data URIs, and tables (heading, explanation, frame); no external files."""
  parts = [f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}'
           f'</title><style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1><ul>']
  parts += [f'<li>{html.escape(note)}</li>' for note in notes]
  parts.append('</ul>')
  parts += [_image(path, caption) for path, caption in figures]
  for heading, text, frame in tables:
    parts.append(f'<h2>{html.escape(heading)}</h2><p>{html.escape(text)}</p>')
    parts.append(readable(frame).to_html(index=False, border=0, na_rep=''))
  parts.append('</body></html>\n')
  write_atomic(out / 'report.html', ''.join(parts))
  return 'report.html'
