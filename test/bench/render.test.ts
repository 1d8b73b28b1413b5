/**
 * The renderers of a BenchReport: Markdown, HTML (self-contained, charts), terminal table, and writeFullReport.
 * Structural checks (every case and field present, tables well-formed, hostile text escaped), no snapshots.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFullReport } from '../../src/bench/full-report.js';
import {
  escapeHtml,
  latencyChart,
  percentileX,
  renderHtml,
  svgLineChart,
  timelineRates,
} from '../../src/bench/render-html.js';
import { escapeMarkdown, renderMarkdown } from '../../src/bench/render-markdown.js';
import { formatTextTable, renderTable } from '../../src/bench/render-table.js';
import { fmtUs } from '../../src/bench/summary.js';
import { MACHINE, makeCase, makeReport, pairReport } from './fixtures.js';

const HOSTILE = 'evil | <script>alert("x")</script> *bold* `code`\nnext line & co';

function hostileReport() {
  return makeReport(
    [
      makeCase({ run: 1, perSecond: 21_000 }),
      makeCase({ run: 2, perSecond: 19_000 }),
      makeCase({ run: 1, server: 'target', serverLabel: HOSTILE, perSecond: 5000 }),
      makeCase({
        run: 1,
        transport: 'tcp',
        mode: 'open',
        inFlight: undefined,
        offeredRate: 10_000,
        perSecond: 9990,
        usage: { cpuPercent: undefined, cpuUsPerMessage: undefined, rssBytes: undefined },
      }),
    ],
    { machine: { ...MACHINE, hostname: 'host|<b>' }, options: { target: HOSTILE } },
  );
}

/** The cells of a Markdown table row, split on pipes that are not escaped. */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** Every Markdown table in the text: runs of lines that start with '|'. */
function markdownTables(md: string): string[][] {
  const tables: string[][] = [];
  let current: string[] | undefined;
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) {
      current ??= [];
      current.push(line);
    } else if (current) {
      tables.push(current);
      current = undefined;
    }
  }
  if (current) tables.push(current);
  return tables;
}

describe('renderMarkdown', () => {
  it('has the cases table with every column and one row per case run, and every table is well-formed', () => {
    const report = hostileReport();
    const md = renderMarkdown(report);
    const tables = markdownTables(md);
    expect(tables.length).toBeGreaterThanOrEqual(2); // cases + report card (no ratios: no bare/sdk peers)
    for (const t of tables) {
      const width = cells(t[0]!).length;
      for (const row of t) expect(cells(row)).toHaveLength(width); // a stray '|' or newline would change this
    }
    const header = cells(tables[0]![0]!);
    for (const col of [
      'workload',
      'transport',
      'server',
      'mode',
      'run',
      'msg/s',
      'p50',
      'p99',
      'p99.9',
      'max',
      'CPU %',
      'CPU µs/msg',
      'RSS peak',
      'errors',
      'lost',
    ]) {
      expect(header).toContain(col);
    }
    expect(tables[0]!.length - 2).toBe(report.cases.length);
    expect(md).toContain('21,000');
    expect(md).toContain('19,000');
    expect(md).toContain('10,000/s offered');
  });

  it('escapes text from outside: no raw HTML, no broken rows, no emphasis', () => {
    const md = renderMarkdown(hostileReport());
    expect(md).not.toContain('<script>');
    expect(md).not.toContain('<b>');
    expect(md).toContain('\\<script\\>');
    expect(md).toContain('\\*bold\\*');
    expect(md).not.toMatch(/alert\("x"\)<\/script> \*bold/);
    expect(escapeMarkdown('a|b\nc')).toBe('a\\|b c');
    expect(escapeMarkdown('x & y')).toBe('x &amp; y');
  });

  it('shows the ratios with median and spread when peers were measured, and says so when not', () => {
    const md = renderMarkdown(pairReport(30_000));
    const ratioTable = markdownTables(md).find((t) => t[0]!.includes('nmcp ÷'));
    expect(ratioTable).toBeDefined();
    const rows = ratioTable!.slice(2).map(cells);
    const bare = rows.find((r) => r[3] === 'bare floor');
    // nmcp 30,000 ÷ bare 50,000 in each run (same wobble on both) = 0.60×
    expect(bare?.[4]).toBe('0.60×');
    expect(bare?.[5]).toBe('0.60× – 0.60×');
    expect(rows.find((r) => r[3] === 'SDK 1.x')?.[4]).toBe('3.75×');
    expect(renderMarkdown(makeReport([makeCase()]))).toContain('No peers were measured');
  });

  it('includes the report card with marks and figures', () => {
    const md = renderMarkdown(pairReport(30_000));
    expect(md).toContain('## Report card');
    expect(md).toMatch(/✅ \| ≥ 10,000 msg\/s \(stdio\) \| 30,\d{3} msg\/s/);
    expect(md).toContain('not measured');
  });
});

describe('renderHtml', () => {
  it('is self-contained: no scripts, no external resources', () => {
    const html = renderHtml(hostileReport());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link|@import|\ssrc=|\shref=/i);
    // The only URL is the SVG namespace identifier, which is never fetched.
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<)]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });

  it('escapes every text from the report', () => {
    const html = renderHtml(hostileReport());
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
    expect(html).toContain('host|&#60;b&#62;');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });

  it('has the tables, and two charts per case (latency distribution, throughput over time) with a line per run', () => {
    const report = hostileReport();
    const html = renderHtml(report);
    const sections = html.split('<section class="case">').slice(1);
    expect(sections).toHaveLength(3); // nmcp stdio (2 runs), target stdio, nmcp tcp open loop
    for (const s of sections) {
      expect(s.match(/<svg /g)).toHaveLength(2);
      expect(s).toContain('latency distribution');
      expect(s).toContain('throughput over time');
    }
    expect(sections[0]!.match(/<polyline /g)).toHaveLength(4); // 2 runs × 2 charts
    for (const col of ['msg/s', 'p99.9', 'CPU µs/msg', 'RSS peak', 'lost']) expect(html).toContain(`>${col}</th>`);
    expect(html).toContain('Report card');
    expect(html.match(/<tr>/g)!.length).toBeGreaterThan(report.cases.length);
  });

  it('an empty chart says "no data" instead of drawing axes', () => {
    const svg = svgLineChart(
      latencyChart('t', [makeCase({ latencyUs: { ...makeCase().latencyUs, distribution: [] } })]),
    );
    expect(svg).toContain('no data');
    expect(svg).not.toContain('<polyline');
  });
});

describe('chart scales', () => {
  it('percentiles sit one decade apart on the x axis', () => {
    expect(percentileX(0, 5)).toBe(0);
    expect(percentileX(90, 5)).toBeCloseTo(1, 9);
    expect(percentileX(99, 5)).toBeCloseTo(2, 9);
    expect(percentileX(99.9, 5)).toBeCloseTo(3, 6);
    expect(percentileX(100, 5)).toBe(5);
  });

  it('timeline entries become msg/s over their interval, the last one up to the end of the window', () => {
    const rates = timelineRates({
      durationMs: 1250,
      timeline: [
        { tMs: 0, messages: 5000 },
        { tMs: 500, messages: 4000 },
        { tMs: 1000, messages: 1000 },
      ],
    });
    expect(rates).toEqual([
      [0.25, 10_000],
      [0.75, 8000],
      [1.125, 4000],
    ]);
  });
});

describe('fmtUs', () => {
  it('picks µs, ms or s so a figure keeps three or four significant digits', () => {
    expect([999.4, 1000, 9999, 10_000, 999_949, 6_856_700].map(fmtUs)).toEqual([
      '999 µs',
      '1.00 ms',
      '10.00 ms',
      '10.0 ms',
      '999.9 ms',
      '6.86 s',
    ]);
  });
});

describe('renderTable (terminal)', () => {
  it('aligns columns by code points and shows cases, ratios and the report card', () => {
    const text = renderTable(pairReport(30_000));
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('workload'))!;
    const rule = lines[lines.indexOf(header) + 1]!;
    expect(rule).toMatch(/^─+( +─+)+$/);
    expect(text).toContain('30,000');
    expect(text).toContain('0.60×');
    expect(text).toContain('Report card');
    const t = formatTextTable({ headers: ['a', 'µs'], numeric: [false, true], rows: [['xx', '5 µs']] });
    expect(t.split('\n')).toEqual(['a     µs', '──  ────', 'xx  5 µs']);
  });
});

describe('optional sections: failures, not run, soak, units', () => {
  const report = makeReport(
    [
      makeCase(),
      makeCase({ workload: 'churn', unit: 'sessions', perSecond: 850 }),
      makeCase({ workload: 'fanout', transport: 'http', unit: 'notifications', perSecond: 120_000 }),
    ],
    {
      skipped: [
        { workload: 'echo-200b', transport: 'unix', server: 'sdk1', reason: 'SDK 1.x has no Unix-socket server' },
      ],
      failures: [{ workload: 'echo-4k', transport: 'http', server: 'nmcp', run: 2, error: 'socket hang up <b>|</b>' }],
      soak: {
        transport: 'stdio',
        server: 'nmcp',
        durationMs: 600_000,
        offeredRate: 10_000,
        messages: 5_999_000,
        errors: 0,
        lost: 0,
        rssBytes: { start: 80e6, peak: 95e6, end: 90e6 },
        heapUsedBytes: { start: 20e6, peak: 30e6, end: 22e6 },
        samples: [
          { tMs: 0, rssBytes: 80e6, heapUsedBytes: 20e6 },
          { tMs: 300_000, rssBytes: 95e6, heapUsedBytes: 30e6 },
          { tMs: 600_000, rssBytes: 90e6, heapUsedBytes: 22e6 },
        ],
      },
    },
  );

  it('Markdown and the terminal show failures, skipped cases, the soak and what msg/s counts', () => {
    for (const text of [renderMarkdown(report), renderTable(report)]) {
      expect(text).toContain('SDK 1.x has no Unix-socket server');
      expect(text).toContain('socket hang up');
      expect(text).toContain('850 (sessions)');
      expect(text).toContain('120,000 (notifications)');
      expect(text).toContain('10.0 MB'); // RSS growth 80 → 90 MB
      expect(text).toContain('5,999,000 responses');
    }
    expect(renderMarkdown(report)).toContain('socket hang up \\<b\\>\\|\\</b\\>');
    for (const t of markdownTables(renderMarkdown(report))) {
      for (const row of t) expect(cells(row)).toHaveLength(cells(t[0]!).length);
    }
  });

  it('HTML shows them too, escaped, with a memory chart (RSS and heap lines)', () => {
    const html = renderHtml(report);
    expect(html).toContain('<h2>Failures</h2>');
    expect(html).toContain('socket hang up &#60;b&#62;|&#60;/b&#62;');
    expect(html).toContain('<h2>Not run</h2>');
    const soak = html.slice(html.indexOf('<h2>Soak</h2>'), html.indexOf('<h2>nmcp ÷ peers</h2>'));
    expect(soak).toContain('soak: server memory over time');
    expect(soak.match(/<polyline /g)).toHaveLength(2);
  });

  it('a soak without a heap figure (a --target) says "not reported" rather than leaving the row out', () => {
    const { heapUsedBytes: _, ...rssOnly } = report.soak!;
    const text = renderTable({
      ...report,
      soak: { ...rssOnly, samples: rssOnly.samples.map(({ tMs, rssBytes }) => ({ tMs, rssBytes })) },
    });
    expect(text).toMatch(/V8 heap used +not reported/);
  });

  it('a clean report has none of these sections', () => {
    const md = renderMarkdown(pairReport(30_000));
    expect(md).not.toContain('Failures');
    expect(md).not.toContain('Not run');
    expect(md).not.toContain('Soak');
  });
});

describe('writeFullReport', () => {
  it('writes report.json (the report itself), report.md and report.html', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nmcp-full-report-'));
    const report = pairReport(30_000);
    const files = await writeFullReport(report, join(dir, 'nested'));
    expect(JSON.parse(await readFile(files.json, 'utf8'))).toEqual(report);
    expect(await readFile(files.markdown, 'utf8')).toBe(renderMarkdown(report));
    expect(await readFile(files.html, 'utf8')).toBe(renderHtml(report));
  });
});
