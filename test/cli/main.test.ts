import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: process.env });

describe('nmcp CLI (built dist/cli/main.js)', () => {
  it('--version names the version and the active core', () => {
    const r = run('--version');
    expect(r.status).toBe(0);
    const kind = process.env.NMCP_NATIVE === '0' ? 'ts' : 'native';
    expect(r.stdout).toMatch(new RegExp(`^nmcp \\d+\\.\\d+\\.\\d+ \\(core: ${kind}`));
  });

  it('core reports the reason when the twin serves', () => {
    const r = spawnSync(process.execPath, [cli, 'core'], {
      encoding: 'utf8',
      env: { ...process.env, NMCP_NATIVE: '0' },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('core: ts');
    expect(r.stdout).toContain('reason: NMCP_NATIVE=0');
  });

  it('an unknown command or flag exits 2 with a hint', () => {
    const a = run('frobnicate');
    expect(a.status).toBe(2);
    expect(a.stderr).toContain('unknown command "frobnicate"');
    const b = run('--nope');
    expect(b.status).toBe(2);
    expect(b.stderr).toContain('nmcp --help');
  });
});
