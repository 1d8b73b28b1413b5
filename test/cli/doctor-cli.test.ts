/** `nmcp doctor` through the built CLI (dist/cli/main.js): the report, --json, the exit codes. */
import { describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/ops/doctor.js';
import { runCli } from '../helpers/run-cli.js';

const IDS = [
  'nofile',
  'somaxconn',
  'tcp-rmem',
  'tcp-wmem',
  'rmem-max',
  'wmem-max',
  'netdev-max-backlog',
  'swappiness',
  'uv-threadpool',
  'heap-limit',
  'native-core',
];

/** The environment without the variables doctor judges, so that the host alone decides. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { NMCP_NATIVE: _n, NMCP_REQUIRE_NATIVE: _r, ...env } = process.env;
  return { ...env, ...extra };
}

describe('nmcp doctor', () => {
  it('prints every check with its status; exits 0 unless one fails (warnings allowed)', async () => {
    const r = await runCli(['doctor'], { env: cleanEnv() });
    expect(r.stderr).toBe('');
    for (const id of IDS) expect(r.stdout).toMatch(new RegExp(`^(ok  |warn|FAIL)  ${id} `, 'm'));
    const summary = /^11 checks: (\d+) ok, (\d+) warn, (\d+) fail/m.exec(r.stdout);
    expect(summary).not.toBeNull();
    expect(r.code).toBe(Number(summary?.[3]) > 0 ? 1 : 0);
    // Every warn is followed by what is recommended and the fix.
    const warns = r.stdout.match(/^warn {2}/gm)?.length ?? 0;
    expect(r.stdout.match(/^ {6}fix {10}\S/gm)?.length ?? 0).toBe(warns + Number(summary?.[3]));
  });

  it('--json parses: { checks: [{ id, status, value, recommended, fix, detail }], summary }', async () => {
    const r = await runCli(['doctor', '--json'], { env: cleanEnv() });
    const report = JSON.parse(r.stdout) as DoctorReport;
    expect(report.checks.map((c) => c.id)).toEqual(IDS);
    for (const c of report.checks) {
      expect(['ok', 'warn', 'fail']).toContain(c.status);
      for (const key of ['value', 'recommended', 'fix', 'detail'] as const) expect(typeof c[key]).toBe('string');
      expect(c.fix === '').toBe(c.status === 'ok');
    }
    const { ok, warn, fail } = report.summary;
    expect(ok + warn + fail).toBe(IDS.length);
    expect(r.code).toBe(fail > 0 ? 1 : 0);
  });

  it('NMCP_REQUIRE_NATIVE=1 while the twin serves (NMCP_NATIVE=0) fails: exit 1', async () => {
    const r = await runCli(['doctor', '--json'], { env: cleanEnv({ NMCP_NATIVE: '0', NMCP_REQUIRE_NATIVE: '1' }) });
    const report = JSON.parse(r.stdout) as DoctorReport;
    const core = report.checks.find((c) => c.id === 'native-core');
    expect(core?.status).toBe('fail');
    expect(core?.value).toBe('TypeScript twin (NMCP_NATIVE=0)');
    expect(core?.fix).toMatch(/^unset NMCP_NATIVE/);
    expect(r.code).toBe(1);
  });

  it('an unknown flag or an argument exits 2 with the fix; --help exits 0', async () => {
    const bad = await runCli(['doctor', '--frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("nmcp doctor: Unknown option '--frobnicate'");
    expect(bad.stderr).toContain('Run `nmcp doctor --help` for the options.');
    const positional = await runCli(['doctor', 'now']);
    expect(positional.code).toBe(2);
    const help = await runCli(['doctor', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: nmcp doctor [--json]');
    const top = await runCli(['--help']);
    expect(top.stdout).toContain('nmcp doctor [--json]');
  });
});
