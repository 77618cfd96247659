/**
 * Charts drawn on the server as SVG: no JavaScript, no external styles (the page's CSP allows
 * none), colours from the landlord's brand. Each chart is an image with a title and a
 * description naming every value (role="img", aria-labelledby), and the page shows its data
 * table beside it, so the figures are readable by screen readers and without images.
 */
import { formatCount } from '../core/numbers.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = formatCount;

function niceMax(v: number): number {
  if (v <= 5) return 5;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** A horizontal bar chart: one bar per item, labelled with its value. */
export function barChart(o: { id: string; title: string; items: { label: string; value: number }[]; colour: string; unit?: string }): string {
  const items = o.items.slice(0, 15);
  const labelW = 170;
  const barArea = 260;
  const rowH = 26;
  const top = 8;
  const height = top + Math.max(1, items.length) * rowH + 8;
  const width = labelW + barArea + 70;
  const max = Math.max(1, ...items.map((i) => i.value));
  const desc = items.length ? items.map((i) => `${i.label}: ${fmt(i.value)}${o.unit ?? ''}`).join('; ') : 'No data in this period';
  const bars = items
    .map((it, n) => {
      const y = top + n * rowH;
      const w = Math.round((it.value / max) * barArea);
      const label = it.label.length > 26 ? `${it.label.slice(0, 25)}…` : it.label;
      return `<text x="${labelW - 8}" y="${y + 17}" text-anchor="end" font-size="13" fill="#0b0c0c">${esc(label)}</text><rect x="${labelW}" y="${y + 4}" width="${Math.max(w, it.value > 0 ? 2 : 0)}" height="${rowH - 8}" fill="${esc(o.colour)}"/><text x="${labelW + w + 6}" y="${y + 17}" font-size="13" fill="#0b0c0c">${fmt(it.value)}${esc(o.unit ?? '')}</text>`;
    })
    .join('');
  const empty = items.length ? '' : `<text x="8" y="${top + 17}" font-size="13" fill="#505a5f">No data in this period</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${o.id}-title ${o.id}-desc" focusable="false"><title id="${o.id}-title">${esc(o.title)}</title><desc id="${o.id}-desc">${esc(desc)}</desc><line x1="${labelW}" y1="${top}" x2="${labelW}" y2="${height - 8}" stroke="#505a5f" stroke-width="1"/>${bars}${empty}</svg>`;
}

/** Columns by month for two series side by side (stage 1 and stage 2), with a legend. */
export function monthChart(o: { id: string; title: string; months: { label: string; a: number; b: number }[]; seriesA: string; seriesB: string; colour: string }): string {
  const left = 40;
  const top = 30;
  const plotH = 160;
  const n = Math.max(1, o.months.length);
  const slot = Math.max(24, Math.min(60, 600 / n));
  // At least wide enough for the legend, so a short period is not blown up to fill the column.
  const width = Math.max(320, left + n * slot + 10);
  const height = top + plotH + 40;
  const max = niceMax(Math.max(1, ...o.months.map((m) => Math.max(m.a, m.b))));
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const bw = Math.max(6, slot / 2 - 4);
  const second = '#505a5f';
  const ticks = [0, max / 2, max]
    .map((t) => `<line x1="${left}" y1="${y(t)}" x2="${width - 10}" y2="${y(t)}" stroke="#b1b4b6" stroke-width="1"/><text x="${left - 6}" y="${y(t) + 4}" text-anchor="end" font-size="11" fill="#0b0c0c">${fmt(t)}</text>`)
    .join('');
  const cols = o.months
    .map((m, i) => {
      const x = left + i * slot + 2;
      const short = m.label.slice(0, 3);
      return `<rect x="${x}" y="${y(m.a)}" width="${bw}" height="${top + plotH - y(m.a)}" fill="${esc(o.colour)}"/><rect x="${x + bw + 2}" y="${y(m.b)}" width="${bw}" height="${top + plotH - y(m.b)}" fill="${second}"/><text x="${x + bw}" y="${top + plotH + 16}" text-anchor="middle" font-size="11" fill="#0b0c0c">${esc(short)}</text>`;
    })
    .join('');
  const legend = `<rect x="${left}" y="6" width="12" height="12" fill="${esc(o.colour)}"/><text x="${left + 16}" y="16" font-size="12" fill="#0b0c0c">${esc(o.seriesA)}</text><rect x="${left + 130}" y="6" width="12" height="12" fill="${second}"/><text x="${left + 146}" y="16" font-size="12" fill="#0b0c0c">${esc(o.seriesB)}</text>`;
  const desc = o.months.map((m) => `${m.label}: ${o.seriesA} ${fmt(m.a)}, ${o.seriesB} ${fmt(m.b)}`).join('; ') || 'No data in this period';
  return `<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${o.id}-title ${o.id}-desc" focusable="false"><title id="${o.id}-title">${esc(o.title)}</title><desc id="${o.id}-desc">${esc(desc)}</desc>${legend}${ticks}${cols}</svg>`;
}
