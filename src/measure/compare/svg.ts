// The comparison's chart: the share of client requests that failed or reached
// the dead node against time since the failure, one line per method, on a log
// time axis (the methods differ by orders of magnitude: 0.1 s to a minute).
// Plain SVG, no script.

import type { CompareReport } from './compare.js';

const WIDTH = 960;
const HEIGHT = 480;
const MARGIN = { top: 56, right: 330, bottom: 52, left: 64 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#393b79', '#637939'];
/** The time axis starts here: earlier, every method is still on the dead node. */
const FROM_MS = 10;

export function renderCompareChart(report: CompareReport): string {
  const rows = report.rows.filter((row) => row.curve.length > 0);
  const untilMs = Math.max(1000, ...rows.map((row) => row.curve[row.curve.length - 1][0] + row.binMs));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const span = Math.log10(untilMs / FROM_MS);
  const x = (ms: number): number => MARGIN.left + (Math.log10(Math.max(ms, FROM_MS) / FROM_MS) / span) * plotW;
  const y = (share: number): number => MARGIN.top + (1 - share) * plotH;
  const parts: string[] = [];
  const text = (tx: number, ty: number, body: string, attrs = ''): void => {
    parts.push(`<text x="${tx.toFixed(1)}" y="${ty.toFixed(1)}" ${attrs}>${escape(body)}</text>`);
  };

  const trials = report.settings.trials === 1 ? '1 trial' : `mean of ${report.settings.trials} trials`;
  text(MARGIN.left, 24, 'Client requests failing or reaching the dead node, by redirection method', 'font-size="17" font-weight="bold"');
  text(MARGIN.left, 42, `the primary fails at 0 (a crash: it vanishes from the network); ${trials}; dashed lines are modelled`, 'font-size="12" fill="#555"');

  for (let share = 0; share <= 1.0001; share += 0.25) {
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(share)}" y2="${y(share)}" stroke="#e5e5e5"/>`);
    text(MARGIN.left - 8, y(share) + 4, `${Math.round(share * 100)}%`, 'font-size="11" text-anchor="end" fill="#555"');
  }
  for (let ms = FROM_MS; ms <= untilMs * 1.0001; ms *= 10) {
    for (const tick of [1, 2, 5]) {
      const at = ms * tick;
      if (at > untilMs) break;
      parts.push(`<line x1="${x(at)}" x2="${x(at)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH + (tick === 1 ? 5 : 3)}" stroke="${tick === 1 ? '#ccc' : '#eee'}"/>`);
      text(x(at), MARGIN.top + plotH + 18, at < 1000 ? `${at} ms` : `${at / 1000} s`, 'font-size="11" text-anchor="middle" fill="#555"');
    }
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  text(MARGIN.left + plotW / 2, HEIGHT - 12, 'time since the primary failed (log scale)', 'font-size="12" text-anchor="middle"');
  text(16, MARGIN.top + plotH / 2, 'requests failing or to the dead node', `font-size="12" text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + plotH / 2})"`);

  rows.forEach((row, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const dash = row.how === 'modelled' ? ' stroke-dasharray="6 4"' : '';
    // Each share holds for its whole bin; before the first bin every request went to the primary.
    const points = [`${x(FROM_MS).toFixed(1)},${y(row.curve[0][1]).toFixed(1)}`];
    for (const [ms, share] of row.curve) points.push(`${x(ms).toFixed(1)},${y(share).toFixed(1)}`, `${x(ms + row.binMs).toFixed(1)},${y(share).toFixed(1)}`);
    parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${colour}" stroke-width="2" stroke-opacity="0.85"${dash}/>`);
    const ly = MARGIN.top + 10 + i * 34;
    parts.push(`<line x1="${WIDTH - MARGIN.right + 14}" x2="${WIDTH - MARGIN.right + 38}" y1="${ly - 4}" y2="${ly - 4}" stroke="${colour}" stroke-width="3"${dash}/>`);
    text(WIDTH - MARGIN.right + 44, ly, shorten(row.name, 50), 'font-size="11"');
    const moved = row.phases.movedMs;
    text(WIDTH - MARGIN.right + 44, ly + 13, moved === undefined ? 'clients not all moved' : `all clients moved at ${seconds(moved.mean)}`, 'font-size="10" fill="#555"');
  });

  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function shorten(name: string, length: number): string {
  return name.length <= length ? name : `${name.slice(0, length - 1)}…`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
