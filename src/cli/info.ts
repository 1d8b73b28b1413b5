/**
 * `nmcp info --url URL`: one snapshot of a running nmcp server, read from its `/info` endpoint (the operations
 * endpoints of `nmcp serve`: the MCP HTTP port, or --metrics-port) — memory, handles, event loop, sessions by
 * transport, route tables, and the seed's "top consumers" (sessions by pending bytes and by message rate).
 */
import type { SessionInfo, SystemInfo } from '../metrics/system-info.js';
import { parseFlags } from './args.js';
import { usageError } from './usage.js';

export const INFO_HELP = `Usage: nmcp info --url URL [--json]

Prints what a running nmcp server reports at URL/info: memory (and whether it sheds load), active handles, event-loop
utilization and delay, sessions by transport, route-table counters, and the top sessions by pending bytes and by
message rate. The server must serve the operations endpoints: \`nmcp serve --http PORT\` (on the MCP port) or
\`nmcp serve … --metrics-port PORT\`.

Options:
  --url URL      the server's operations origin, e.g. http://127.0.0.1:9464 (a trailing /metrics or /mcp is dropped)
  --json         print the JSON as the server sent it
  --help, -h     this text

Exit codes: 0 printed; 1 the server could not be reached or did not answer with its info; 2 a usage error.
`;

const MiB = 1024 * 1024;

export async function info(argv: string[]): Promise<number> {
  const values = parseFlags('info', argv, { url: { type: 'string' }, json: { type: 'boolean' } }, INFO_HELP);
  if (typeof values === 'number') return values;
  if (typeof values.url !== 'string') {
    return usageError('info', 'no server given', 'Add --url http://HOST:PORT (where its /metrics and /info are).');
  }
  let base: URL;
  try {
    base = new URL(values.url);
  } catch {
    return usageError('info', `--url ${JSON.stringify(values.url)} is not a URL`, 'Give it as http://HOST:PORT.');
  }
  const path = base.pathname.replace(/\/(metrics|mcp|info)?\/?$/, '');
  const target = `${base.origin}${path}/info`;
  let body: string;
  try {
    const res = await fetch(target, { signal: AbortSignal.timeout(10_000) });
    body = await res.text();
    if (!res.ok) {
      process.stderr.write(`nmcp info: ${target} answered HTTP ${res.status}: ${body.slice(0, 200)}\n`);
      return 1;
    }
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    process.stderr.write(`nmcp info: cannot reach ${target}: ${cause ?? (err as Error).message}\n`);
    return 1;
  }
  let snapshot: SystemInfo;
  try {
    snapshot = JSON.parse(body) as SystemInfo;
  } catch {
    process.stderr.write(`nmcp info: ${target} did not answer with JSON (is it an nmcp server?)\n`);
    return 1;
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(snapshot, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(render(snapshot));
  return 0;
}

function render(s: SystemInfo): string {
  const m = s.memory;
  const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
  const lines = [
    `pid ${s.pid}, up ${s.uptimeSeconds} s, node ${s.node}, core ${s.core.kind} ${s.core.version}`,
    `memory   rss ${mib(m.rss)}, heap ${mib(m.heapUsed)} of ${mib(m.heapTotal)}, external ${mib(m.external)}${m.shedding ? ' — SHEDDING LOAD' : m.warning ? ' — over memoryWarningBytes' : ''}`,
    `handles  ${s.handles}`,
    `loop     utilization ${(s.eventLoop.utilization * 100).toFixed(1)} %, delay p50 ${s.eventLoop.delayP50Ms} ms, p99 ${s.eventLoop.delayP99Ms} ms, max ${s.eventLoop.delayMaxMs} ms`,
    `sessions ${
      Object.entries(s.sessions)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ') || 'none'
    }`,
  ];
  s.registries.forEach((r, i) => {
    lines.push(
      `routes   table ${i + 1}: ${r.lookups} lookups, hit ratio ${(r.hitRatio * 100).toFixed(1)} %, ${r.entries} cached, ${r.evictions} evicted`,
    );
  });
  const table = (title: string, rows: SessionInfo[]) => {
    if (rows.length === 0) return;
    lines.push(
      '',
      title,
      '| transport | client | age s | in | out | msg/s | pending bytes |',
      '|---|---|---:|---:|---:|---:|---:|',
    );
    for (const r of rows) {
      lines.push(
        `| ${r.transport} | ${r.client ?? '-'} | ${r.ageSeconds} | ${r.messagesIn} | ${r.messagesOut} | ${r.messagesPerSecond} | ${r.pendingBytes} |`,
      );
    }
  };
  table('top sessions by pending bytes', s.top.byPendingBytes);
  table('top sessions by message rate', s.top.byMessageRate);
  return `${lines.join('\n')}\n`;
}
