// The drill's chart: the share of client lookups that got the dead address,
// second by second after the failure, one line per resolver variant, the flip
// marked. Plain SVG, no script, readable in any browser.

import type { DrillReport } from './drill.js';

const WIDTH = 880;
const HEIGHT = 440;
const MARGIN = { top: 56, right: 220, bottom: 52, left: 64 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2'];

export function renderChart(report: DrillReport): string {
  const { settings } = report;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (seconds: number): number => MARGIN.left + (seconds / settings.observe) * plotW;
  const y = (share: number): number => MARGIN.top + (1 - share) * plotH;
  const parts: string[] = [];
  const text = (tx: number, ty: number, body: string, attrs = ''): void => {
    parts.push(`<text x="${tx.toFixed(1)}" y="${ty.toFixed(1)}" ${attrs}>${escape(body)}</text>`);
  };

  const trials = report.trials.length === 1 ? '1 trial' : `mean of ${report.trials.length} trials`;
  text(MARGIN.left, 24, 'Client lookups sent to the dead node after a failover', 'font-size="17" font-weight="bold"');
  text(MARGIN.left, 42, `pool TTL ${settings.ttl} s (${settings.ttlPolicy}), heartbeats ${settings.intervalMs} ms × fall ${settings.fall}, fault: ${settings.fault === 'check' ? 'service check fails' : 'node vanishes'}; ${trials}`, 'font-size="12" fill="#555"');

  for (let share = 0; share <= 1.0001; share += 0.25) {
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(share)}" y2="${y(share)}" stroke="#e5e5e5"/>`);
    text(MARGIN.left - 8, y(share) + 4, `${Math.round(share * 100)}%`, 'font-size="11" text-anchor="end" fill="#555"');
  }
  const step = settings.observe <= 20 ? 2 : settings.observe <= 60 ? 10 : 30;
  for (let s = 0; s <= settings.observe; s += step) {
    parts.push(`<line x1="${x(s)}" x2="${x(s)}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 5}" stroke="#555"/>`);
    text(x(s), MARGIN.top + plotH + 18, String(s), 'font-size="11" text-anchor="middle" fill="#555"');
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  text(MARGIN.left + plotW / 2, HEIGHT - 12, 'seconds since the primary failed', 'font-size="12" text-anchor="middle"');
  text(16, MARGIN.top + plotH / 2, 'lookups to the dead address', `font-size="12" text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + plotH / 2})"`);

  const flip = report.detectAndFlip.mean / 1000;
  parts.push(`<line x1="${x(flip)}" x2="${x(flip)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#333" stroke-dasharray="4 3"/>`);
  text(x(flip) + 4, MARGIN.top + plotH - 6, `flip at ${Math.round(report.detectAndFlip.mean)} ms`, 'font-size="11" fill="#333"');

  report.resolvers.forEach((resolver, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const segments: string[][] = [[]];
    // A step per second: each share holds for the whole second it was measured in.
    resolver.deadShareBySecond.forEach((share, s) => {
      if (share === undefined) segments.push([]);
      else segments[segments.length - 1].push(`${x(s).toFixed(1)},${y(share).toFixed(1)}`, `${x(s + 1).toFixed(1)},${y(share).toFixed(1)}`);
    });
    for (const points of segments.filter((segment) => segment.length > 0)) {
      parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${colour}" stroke-width="2" stroke-opacity="0.85"/>`);
    }
    const ly = MARGIN.top + 14 + i * 36;
    parts.push(`<line x1="${WIDTH - MARGIN.right + 16}" x2="${WIDTH - MARGIN.right + 40}" y1="${ly - 4}" y2="${ly - 4}" stroke="${colour}" stroke-width="3"/>`);
    text(WIDTH - MARGIN.right + 46, ly, resolver.variant, 'font-size="12"');
    const stale = resolver.staleAfterFlip;
    text(WIDTH - MARGIN.right + 46, ly + 15, `dead for ${(stale.mean / 1000).toFixed(1)} s after the flip`, 'font-size="10" fill="#555"');
  });

  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
