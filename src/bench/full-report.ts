/**
 * `--full-report DIR`: the report as JSON (the data, for baselines and tooling), Markdown (for a PR or an issue) and a
 * self-contained HTML page with charts (for reading), side by side in one directory.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderHtml } from './render-html.js';
import { renderMarkdown } from './render-markdown.js';
import type { BenchReport } from './report.js';

export interface FullReportFiles {
  readonly json: string;
  readonly markdown: string;
  readonly html: string;
}

export async function writeFullReport(report: BenchReport, dir: string): Promise<FullReportFiles> {
  await mkdir(dir, { recursive: true });
  const files = { json: join(dir, 'report.json'), markdown: join(dir, 'report.md'), html: join(dir, 'report.html') };
  await Promise.all([
    writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`),
    writeFile(files.markdown, renderMarkdown(report)),
    writeFile(files.html, renderHtml(report)),
  ]);
  return files;
}
