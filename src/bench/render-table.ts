/**
 * The terminal rendering of a BenchReport: the cases table, the nmcp ÷ peer ratios and (optionally) the report card,
 * as aligned plain text. Column widths count code points, not UTF-16 units, so "µs" and "×" do not skew them.
 */

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
import { evaluateTargets, formatTargets } from './targets.js';

const width = (s: string) => [...s].length;

/** An aligned text table: a header row, a rule, then the rows; numbers right-aligned. */
export function formatTextTable(table: Table): string {
  const widths = table.headers.map((h, i) => Math.max(width(h), ...table.rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => {
        const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - width(cell)));
        return table.numeric[i] ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(table.headers), widths.map((w) => '─'.repeat(w)).join('  '), ...table.rows.map(line)].join('\n');
}

export interface RenderOptions {
  /** Include the report card (the seed's targets). Default true. */
  readonly targets?: boolean;
}

export function renderTable(report: BenchReport, options: RenderOptions = {}): string {
  const parts = [
    `nmcp bench — ${report.startedAt} — ${fmtMachine(report.machine)}`,
    '',
    formatTextTable(casesTable(report)),
  ];
  const failures = failuresTable(report);
  if (failures) parts.push('', 'FAILED cases (not a clean run):', formatTextTable(failures));
  const skipped = skippedTable(report);
  if (skipped) parts.push('', 'Not run:', formatTextTable(skipped));
  const soak = soakTable(report);
  if (soak) parts.push('', soakLine(report) ?? '', formatTextTable(soak));
  if (report.ratios.length > 0) {
    parts.push(
      '',
      'nmcp ÷ peer, throughput (median over runs, spread min – max):',
      formatTextTable(ratiosTable(report)),
    );
  }
  if (options.targets ?? true) parts.push('', formatTargets(evaluateTargets(report)));
  return `${parts.join('\n')}\n`;
}
