/**
 * `nmcp doctor`: checks this host and process against nmcp's tuning guidance (src/ops/doctor.ts, docs/doctor.md) and
 * prints each as ok / warn / fail with the command that fixes it. Exit codes: 0 no check failed (warnings allowed);
 * 1 a check failed; 2 bad usage.
 */
import { type DoctorCheck, type DoctorReport, defaultDoctorInputs, doctorExitCode, runDoctor } from '../ops/doctor.js';
import { parseFlags } from './args.js';

export const DOCTOR_HELP = `Usage: nmcp doctor [--json]

Checks this host and this process against nmcp's tuning guidance (docs/doctor.md, docs/tuning.md): the open-file
limit, net.core.somaxconn, TCP buffer limits (tcp_rmem, tcp_wmem, rmem_max, wmem_max), netdev_max_backlog,
vm.swappiness, UV_THREADPOOL_SIZE, the V8 heap limit (--max-old-space-size) and whether the native core loaded.
Each prints ok, warn or fail with the value found, what is recommended and the exact command that fixes it.

Read-only, no root needed: a file that cannot be read is a warning that says so. Process settings (ulimit -n,
UV_THREADPOOL_SIZE, NODE_OPTIONS, NMCP_*) are this process's: run doctor the way the server is started (same shell,
unit or container) to check the server's.

Options:
  --json                     print { checks: [{ id, title, status, value, recommended, fix, detail }], summary }
  --help, -h                 this text

Exit status: 0 no check failed (warnings allowed); 1 a check failed; 2 bad usage. Examples:
  nmcp doctor
  nmcp doctor --json | jq '.checks[] | select(.status != "ok") | .fix'
`;

const MARK: Record<DoctorCheck['status'], string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

const WIDTH = 120;

function indent(text: string, pad: string): string {
  return text
    .split('\n')
    .map((line, i) => (i === 0 ? line : `${pad}${line}`))
    .join('\n');
}

/** Words of `text` in lines of at most WIDTH columns, the first after `pad.length` columns, the next indented by pad. */
function wrap(text: string, pad: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && pad.length + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join(`\n${pad}`);
}

/** The report as text: one line per ok check; found / recommended / fix / why under a warn or a fail. */
export function renderDoctor(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.id.length));
  const pad = ' '.repeat(6);
  const sub = ' '.repeat(6 + 'recommended  '.length);
  const lines: string[] = [];
  for (const c of report.checks) {
    lines.push(`${MARK[c.status]}  ${c.id.padEnd(width)}  ${c.title}: ${c.value}`);
    if (c.status === 'ok') continue;
    lines.push(`${pad}recommended  ${wrap(c.recommended, sub)}`);
    lines.push(`${pad}fix          ${indent(c.fix, sub)}`);
    lines.push(`${pad}why          ${wrap(c.detail, sub)}`);
  }
  const { ok, warn, fail } = report.summary;
  lines.push('', `${report.checks.length} checks: ${ok} ok, ${warn} warn, ${fail} fail (docs/doctor.md explains each)`);
  return `${lines.join('\n')}\n`;
}

export async function doctor(argv: string[]): Promise<number> {
  const values = parseFlags('doctor', argv, { json: { type: 'boolean' } }, DOCTOR_HELP);
  if (typeof values === 'number') return values;
  const report = runDoctor(await defaultDoctorInputs());
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderDoctor(report));
  return doctorExitCode(report);
}
