/**
 * The Markdown rendering of a BenchReport (report.md of --full-report, and the figures of docs/benchmarks.md): the
 * machine, the cases table, the nmcp ÷ peer ratios and the report card. Every text that came from outside this file
 * (server labels, host names, CPU models, option values) is escaped, so a `|` or `<` in one cannot break the table
 * or inject markup.
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
import type { BenchReport } from './report.js';
import { fmtMachine } from './summary.js';
import { evaluateTargets, type TargetRow, targetMark } from './targets.js';

/**
 * Escapes text for a Markdown table cell or paragraph: the characters that start inline markup (emphasis, code, links,
 * HTML), pipes (cell breaks), `&` (entities) and line breaks (which end a row). `(` `#` `!` only mean something after
 * `]` or at a line start, which this rules out, so figures like "closed (64 in flight)" stay readable in the source.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*_[\]|<>~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/\r?\n|\r/g, ' ');
}

export function markdownTable(table: Table): string {
  const row = (cells: readonly string[]) => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
  const rule = `|${table.numeric.map((n) => (n ? '---:' : '---')).join('|')}|`;
  return [row(table.headers), rule, ...table.rows.map(row)].join('\n');
}

export function targetsMarkdown(rows: readonly TargetRow[]): string {
  return markdownTable({
    headers: ['', 'target', 'figure', 'measured on'],
    numeric: [false, false, true, false],
    rows: rows.map((r) => [targetMark(r), r.target, r.figure ?? '—', r.detail]),
  });
}

export interface MarkdownOptions {
  /** Heading level of the sections (default 2: "## Cases"). */
  readonly headingLevel?: number;
  /** Include the report card. Default true. */
  readonly targets?: boolean;
  /** Start with the title, when and where it was measured, and the options. Default true. */
  readonly header?: boolean;
}

export function renderMarkdown(report: BenchReport, options: MarkdownOptions = {}): string {
  const h = '#'.repeat(options.headingLevel ?? 2);
  const out: string[] = [];
  if (options.header ?? true) {
    if ((options.headingLevel ?? 2) === 2) out.push('# nmcp bench report', '');
    out.push(
      `Measured ${escapeMarkdown(report.startedAt)} → ${escapeMarkdown(report.finishedAt)} on ${escapeMarkdown(fmtMachine(report.machine))}.`,
      '',
      `Options: ${escapeMarkdown(JSON.stringify(report.options))}`,
      '',
    );
  }
  out.push(
    `${h} Cases`,
    '',
    'Latency is per request, in the client, from an HdrHistogram (open loop: corrected for coordinated omission). ' +
      'CPU and RSS are the server process’s (Linux /proc); CPU % is of one core. Errors and lost responses must be 0.',
    '',
    markdownTable(casesTable(report)),
    '',
  );
  const failures = failuresTable(report);
  if (failures)
    out.push(
      `${h} Failures`,
      '',
      'These cases started and failed: this is not a clean run.',
      '',
      markdownTable(failures),
      '',
    );
  const skipped = skippedTable(report);
  if (skipped) out.push(`${h} Not run`, '', markdownTable(skipped), '');
  const soak = soakTable(report);
  if (soak) out.push(`${h} Soak`, '', escapeMarkdown(soakLine(report) ?? ''), '', markdownTable(soak), '');
  const ab = abTable(report);
  if (ab && report.ab) out.push(`${h} A/B: B ÷ A`, '', escapeMarkdown(abNote(report.ab)), '', markdownTable(ab), '');
  out.push(`${h} nmcp ÷ peers`, '');
  if (report.ratios.length === 0) {
    out.push('No peers were measured in this run (`nmcp bench --peers` measures them).', '');
  } else {
    out.push(
      'Throughput of nmcp divided by the peer’s, measured in the same run (so machine noise hits both); median over ' +
        'the runs, with the smallest and largest ratio of a single run.',
      '',
      markdownTable(ratiosTable(report)),
      '',
    );
  }
  if (options.targets ?? true) {
    out.push(
      `${h} Report card`,
      '',
      'The seed’s targets (erlmcp performance tuning guide), judged on nmcp’s cases, then the nmcp ÷ peer ratio targets; a row passes only on a figure.',
      '',
      targetsMarkdown(evaluateTargets(report)),
      '',
    );
  }
  return out.join('\n');
}
