/**
 * The HTML rendering of a BenchReport (report.html of --full-report): one self-contained page — no scripts, no
 * external styles or fonts, no CDN — so it opens offline, from a CI artifact, or attached to an issue. Charts are
 * inline SVG drawn here: per case, the latency distribution (percentile on a log scale of 1/(1−p), so p99, p99.9 and
 * p99.99 get equal room, against latency) and the throughput over time (from the case's timeline), one line per run.
 * All text from the report is HTML-escaped.
 */

import { abNote, abTable } from './ab.js';
import {
  casesTable,
  failuresTable,
  ratiosTable,
  skippedTable,
  soakLine,
  soakTable,
  type Table,
} from './render-rows.js';
import type { BenchCase, BenchReport, SoakSummary } from './report.js';
import { type CaseGroup, fmtInt, fmtLoad, fmtMachine, fmtUs, groupCases } from './summary.js';
import { evaluateTargets, targetMark } from './targets.js';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function htmlTable(table: Table, className = ''): string {
  const cls = (i: number) => (table.numeric[i] ? ' class="num"' : '');
  const head = table.headers.map((h, i) => `<th${cls(i)}>${escapeHtml(h)}</th>`).join('');
  const body = table.rows
    .map((r) => `<tr>${r.map((cell, i) => `<td${cls(i)}>${escapeHtml(cell)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table${className ? ` class="${className}"` : ''}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

// ---- SVG line charts

export interface ChartSeries {
  readonly label: string;
  /** [x, y] in data units, already on the chart's x scale (see LineChart.x.transform). */
  readonly points: readonly (readonly [number, number])[];
}

interface ChartAxis {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly ticks: readonly { readonly at: number; readonly label: string }[];
}

export interface LineChart {
  readonly title: string;
  readonly x: ChartAxis;
  readonly y: ChartAxis;
  readonly series: readonly ChartSeries[];
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
const W = 520;
const H = 260;
const M = { left: 64, right: 16, top: 28, bottom: 44 };

const num = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '0');

/** A line chart as an inline <svg> element; an empty one says "no data" instead of drawing a misleading axis. */
export function svgLineChart(chart: LineChart): string {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const sx = (v: number) => M.left + ((v - chart.x.min) / (chart.x.max - chart.x.min || 1)) * plotW;
  const sy = (v: number) => M.top + plotH - ((v - chart.y.min) / (chart.y.max - chart.y.min || 1)) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img">`,
    `<title>${escapeHtml(chart.title)}</title>`,
    `<text x="${M.left}" y="16" class="ct">${escapeHtml(chart.title)}</text>`,
  ];
  const drawn = chart.series.filter((s) => s.points.length > 0);
  if (drawn.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="nd">no data</text></svg>`);
    return parts.join('');
  }
  for (const t of chart.x.ticks) {
    const x = num(sx(t.at));
    parts.push(
      `<line x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + plotH}" class="grid"/>`,
      `<text x="${x}" y="${M.top + plotH + 14}" text-anchor="middle" class="tk">${escapeHtml(t.label)}</text>`,
    );
  }
  for (const t of chart.y.ticks) {
    const y = num(sy(t.at));
    parts.push(
      `<line x1="${M.left}" y1="${y}" x2="${M.left + plotW}" y2="${y}" class="grid"/>`,
      `<text x="${M.left - 6}" y="${y}" dy="0.32em" text-anchor="end" class="tk">${escapeHtml(t.label)}</text>`,
    );
  }
  parts.push(
    `<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" class="frame"/>`,
    `<text x="${M.left + plotW / 2}" y="${H - 8}" text-anchor="middle" class="al">${escapeHtml(chart.x.label)}</text>`,
    `<text transform="translate(14 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle" class="al">${escapeHtml(chart.y.label)}</text>`,
  );
  drawn.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = s.points.map(([x, y]) => `${num(sx(x))},${num(sy(y))}`).join(' ');
    parts.push(
      `<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="1.6"><title>${escapeHtml(s.label)}</title></polyline>`,
    );
    if (drawn.length > 1) {
      const ly = M.top + 12 + i * 14;
      parts.push(
        `<line x1="${M.left + 8}" y1="${ly}" x2="${M.left + 24}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
        `<text x="${M.left + 28}" y="${ly}" dy="0.32em" class="lg">${escapeHtml(s.label)}</text>`,
      );
    }
  });
  parts.push('</svg>');
  return parts.join('');
}

/** 0 → max rounded up to 1, 2 or 5 × 10^k, with about five ticks. */
export function niceTicks(max: number, format: (v: number) => string): { max: number; ticks: ChartAxis['ticks'] } {
  if (!(max > 0)) return { max: 1, ticks: [{ at: 0, label: format(0) }] };
  const rough = max / 5;
  const pow = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 5, 10].find((m) => m * pow >= rough) ?? 10) * pow;
  const top = Math.ceil(max / step) * step;
  const ticks: { at: number; label: string }[] = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push({ at: v, label: format(v) });
  return { max: top, ticks };
}

/** Percentile → x: −log10(1 − p/100), so 90 → 1, 99 → 2, 99.9 → 3; p = 100 is drawn at the last decade shown. */
export function percentileX(p: number, capX: number): number {
  if (p >= 100) return capX;
  if (p <= 0) return 0;
  return Math.min(capX, -Math.log10(1 - p / 100));
}

const PERCENTILE_TICKS = [0, 90, 99, 99.9, 99.99, 99.999, 99.9999];

export function latencyChart(title: string, runs: readonly BenchCase[]): LineChart {
  // The last decade drawn: one past the highest finite percentile recorded, at least p99.9.
  const finite = runs.flatMap((r) => r.latencyUs.distribution.map(([p]) => p)).filter((p) => p < 100);
  const capX = Math.max(3, Math.min(6, Math.ceil(Math.max(0, ...finite.map((p) => percentileX(p, 6))) + 0.001)));
  const maxUs = Math.max(0, ...runs.flatMap((r) => r.latencyUs.distribution.map(([, us]) => us)));
  const y = niceTicks(maxUs, (v) => (v === 0 ? '0' : fmtUs(v)));
  return {
    title,
    x: {
      label: 'percentile (log scale of 1/(1−p))',
      min: 0,
      max: capX,
      ticks: PERCENTILE_TICKS.map((p) => ({ at: percentileX(p, capX), label: `p${p}` })).filter((t) => t.at <= capX),
    },
    y: { label: 'latency', min: 0, max: y.max, ticks: y.ticks },
    series: runs.map((r) => ({
      label: `run ${r.run}`,
      points: r.latencyUs.distribution.map(([p, us]) => [percentileX(p, capX), us] as const),
    })),
  };
}

/**
 * A timeline as [mid-interval seconds, msg/s]. Each entry counts the messages from its tMs to the next entry's (the
 * last one: to the end of the measured window), so the rate is messages ÷ that width.
 */
export function timelineRates(c: Pick<BenchCase, 'timeline' | 'durationMs'>): [number, number][] {
  const out: [number, number][] = [];
  const tl = c.timeline;
  let lastWidth = 0;
  for (let i = 0; i < tl.length; i++) {
    const cur = tl[i]!;
    const end = i + 1 < tl.length ? tl[i + 1]!.tMs : c.durationMs > cur.tMs ? c.durationMs : cur.tMs + lastWidth;
    const width = end - cur.tMs > 0 ? end - cur.tMs : lastWidth;
    if (width <= 0) continue;
    lastWidth = width;
    out.push([(cur.tMs + width / 2) / 1000, (cur.messages * 1000) / width]);
  }
  return out;
}

export function throughputChart(title: string, runs: readonly BenchCase[]): LineChart {
  const series = runs.map((r) => ({ label: `run ${r.run}`, points: timelineRates(r) }));
  const maxRate = Math.max(0, ...series.flatMap((s) => s.points.map(([, v]) => v)));
  const maxT = Math.max(0, ...runs.map((r) => r.durationMs / 1000), ...series.flatMap((s) => s.points.map(([t]) => t)));
  const y = niceTicks(maxRate, fmtInt);
  const x = niceTicks(maxT, (v) => `${Number(v.toPrecision(3))} s`);
  return {
    title,
    x: { label: 'time in the measured window', min: 0, max: x.max, ticks: x.ticks },
    y: { label: 'messages/s', min: 0, max: y.max, ticks: y.ticks },
    series,
  };
}

/** The soak's memory over time: RSS (and V8 heap where reported) in MiB against minutes. */
export function soakChart(soak: SoakSummary): LineChart {
  const mib = (b: number) => b / 1024 / 1024;
  const rss = soak.samples.map((s) => [s.tMs / 60_000, mib(s.rssBytes)] as const);
  const heap = soak.samples
    .filter((s) => s.heapUsedBytes !== undefined)
    .map((s) => [s.tMs / 60_000, mib(s.heapUsedBytes ?? 0)] as const);
  const y = niceTicks(Math.max(0, ...rss.map(([, v]) => v), ...heap.map(([, v]) => v)), (v) => `${v} MiB`);
  const x = niceTicks(
    Math.max(soak.durationMs / 60_000, ...rss.map(([t]) => t)),
    (v) => `${Number(v.toPrecision(3))} min`,
  );
  return {
    title: 'soak: server memory over time',
    x: { label: 'time', min: 0, max: x.max, ticks: x.ticks },
    y: { label: 'memory', min: 0, max: y.max, ticks: y.ticks },
    series: [{ label: 'RSS', points: rss }, ...(heap.length > 0 ? [{ label: 'V8 heap used', points: heap }] : [])],
  };
}

function caseSection(g: CaseGroup): string {
  const name = `${g.workload} · ${g.transport} · ${g.serverLabel} · ${g.mode} (${fmtLoad(g)})`;
  return [
    '<section class="case">',
    `<h3>${escapeHtml(name)}</h3>`,
    '<div class="charts">',
    svgLineChart(latencyChart('latency distribution', g.runs)),
    svgLineChart(throughputChart('throughput over time', g.runs)),
    '</div>',
    '</section>',
  ].join('\n');
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1180px;padding:0 16px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:32px}h3{font-size:14px;margin:18px 0 6px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}th,td{border:1px solid #ccc;padding:3px 7px;text-align:left}
th{background:#f3f3f3}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}.note{color:#555}
.charts{display:flex;flex-wrap:wrap;gap:12px}svg{background:#fff;border:1px solid #e3e3e3}
svg .grid{stroke:#eee}svg .frame{fill:none;stroke:#999}svg text{font:11px system-ui,sans-serif;fill:#333}
svg .ct{font-weight:600;font-size:12px}svg .al{fill:#555}svg .nd{fill:#999;font-size:14px}svg .tk{fill:#666}
.pass{color:#137333}.fail{color:#c5221f}.nm{color:#777}
`;

function optionalSection(title: string, table: Table | undefined, note?: string): string[] {
  if (!table) return [];
  return [
    `<h2>${escapeHtml(title)}</h2>`,
    ...(note ? [`<p class="note">${escapeHtml(note)}</p>`] : []),
    htmlTable(table),
  ];
}

export function renderHtml(report: BenchReport): string {
  const targets = evaluateTargets(report);
  const targetRows = targets
    .map((r) => {
      const cls = r.pass === 'not measured' ? 'nm' : r.pass ? 'pass' : 'fail';
      return `<tr><td class="${cls}">${escapeHtml(targetMark(r))}</td><td>${escapeHtml(r.target)}</td><td class="num">${escapeHtml(r.figure ?? '—')}</td><td>${escapeHtml(r.detail)}</td></tr>`;
    })
    .join('\n');
  const ratios =
    report.ratios.length === 0
      ? '<p class="note">No peers were measured in this run (<code>nmcp bench --peers</code> measures them).</p>'
      : `<p class="note">Throughput of nmcp ÷ the peer’s, measured in the same run; median over the runs with the smallest and largest single-run ratio.</p>\n${htmlTable(ratiosTable(report))}`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(`nmcp bench — ${report.startedAt}`)}</title>`,
    `<style>${STYLE}</style>`,
    '</head><body>',
    '<h1>nmcp bench report</h1>',
    `<p>Measured ${escapeHtml(report.startedAt)} → ${escapeHtml(report.finishedAt)} on ${escapeHtml(fmtMachine(report.machine))}.</p>`,
    `<pre>${escapeHtml(JSON.stringify(report.options, null, 2))}</pre>`,
    '<h2>Cases</h2>',
    '<p class="note">Latency per request in the client, from an HdrHistogram (open loop: corrected for coordinated omission). CPU and RSS are the server process’s; CPU % is of one core. Errors and lost responses must be 0.</p>',
    htmlTable(casesTable(report)),
    ...optionalSection('Failures', failuresTable(report), 'These cases started and failed: this is not a clean run.'),
    ...optionalSection('Not run', skippedTable(report)),
    ...(report.soak
      ? [
          '<h2>Soak</h2>',
          `<p>${escapeHtml(soakLine(report) ?? '')}</p>`,
          htmlTable(soakTable(report)!),
          svgLineChart(soakChart(report.soak)),
        ]
      : []),
    ...(report.ab ? optionalSection('A/B: B ÷ A', abTable(report), abNote(report.ab)) : []),
    '<h2>nmcp ÷ peers</h2>',
    ratios,
    '<h2>Report card</h2>',
    '<p class="note">The seed’s targets, judged on nmcp’s cases, then the nmcp ÷ peer ratio targets; a row passes only on a figure.</p>',
    `<table><thead><tr><th></th><th>target</th><th class="num">figure</th><th>measured on</th></tr></thead><tbody>\n${targetRows}\n</tbody></table>`,
    '<h2>Charts</h2>',
    ...groupCases(report.cases).map(caseSection),
    '</body></html>',
    '',
  ].join('\n');
}
