/** nmcp doctor's checks (src/ops/doctor.ts): ok / warn / fail of each from injected inputs, and the fix commands. */
import { describe, expect, it } from 'vitest';
import type { CoreInfo } from '../../src/native/index.js';
import {
  checkHeapLimit,
  checkNativeCore,
  checkNetdevMaxBacklog,
  checkOpenFiles,
  checkRmemMax,
  checkSomaxconn,
  checkSwappiness,
  checkTcpRmem,
  checkTcpWmem,
  checkThreadpool,
  checkWmemMax,
  DOCTOR_CHECKS,
  type DoctorInputs,
  defaultDoctorInputs,
  doctorExitCode,
  parseOpenFileLimit,
  runDoctor,
  sysctlFix,
} from '../../src/ops/doctor.js';

const MiB = 1024 * 1024;
const NATIVE: CoreInfo = { kind: 'native', reason: undefined, version: '0.1.0' };

const LIMITS = (soft: string, hard: string) =>
  `Limit                     Soft Limit           Hard Limit           Units     \n` +
  `Max processes             96365                96365                processes \n` +
  `Max open files            ${soft.padEnd(21)}${hard.padEnd(21)}files     \n`;

/** A host tuned as the guidance says. */
const GOOD_FILES: Record<string, string> = {
  '/proc/self/limits': LIMITS('1048576', '1048576'),
  '/proc/sys/net/core/somaxconn': '4096\n',
  '/proc/sys/net/ipv4/tcp_rmem': '4096\t131072\t33554432\n',
  '/proc/sys/net/ipv4/tcp_wmem': '4096\t131072\t33554432\n',
  '/proc/sys/net/core/rmem_max': '33554432\n',
  '/proc/sys/net/core/wmem_max': '33554432\n',
  '/proc/sys/net/core/netdev_max_backlog': '5000\n',
  '/proc/sys/vm/swappiness': '1\n',
  '/proc/swaps': 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/swapfile file 1048572 0 -2\n',
};

function inputs(over: Partial<DoctorInputs> & { files?: Record<string, string | undefined> } = {}): DoctorInputs {
  const { files: fileOver = {}, ...rest } = over;
  const files = { ...GOOD_FILES, ...fileOver };
  return {
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return text;
    },
    env: {},
    cpus: 4,
    heapSizeLimit: 4096 * MiB,
    execArgv: [],
    core: NATIVE,
    ...rest,
  };
}

describe('nmcp doctor checks', () => {
  it('a host tuned as the guidance says: every check ok, no fix, exit 0', () => {
    const report = runDoctor(inputs());
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['nofile', 'ok'],
      ['somaxconn', 'ok'],
      ['tcp-rmem', 'ok'],
      ['tcp-wmem', 'ok'],
      ['rmem-max', 'ok'],
      ['wmem-max', 'ok'],
      ['netdev-max-backlog', 'ok'],
      ['swappiness', 'ok'],
      ['uv-threadpool', 'ok'],
      ['heap-limit', 'ok'],
      ['native-core', 'ok'],
    ]);
    expect(report.checks.every((c) => c.fix === '' && c.recommended !== '' && c.detail !== '')).toBe(true);
    expect(report.summary).toEqual({ ok: 11, warn: 0, fail: 0 });
    expect(doctorExitCode(report)).toBe(0);
  });

  it('open files: parses /proc/self/limits; warns below 65,536 soft; the fix depends on the hard limit', () => {
    expect(parseOpenFileLimit(LIMITS('1024', '524288'))).toEqual({ soft: 1024, hard: 524288 });
    expect(parseOpenFileLimit(LIMITS('unlimited', 'unlimited'))).toEqual({
      soft: Number.POSITIVE_INFINITY,
      hard: Number.POSITIVE_INFINITY,
    });
    expect(parseOpenFileLimit('nothing here')).toBeUndefined();

    const ok = checkOpenFiles(inputs({ files: { '/proc/self/limits': LIMITS('65536', '65536') } }));
    expect([ok.status, ok.value]).toEqual(['ok', 'soft 65,536, hard 65,536']);

    // The hard limit allows it: ulimit -n is enough, no root.
    const soft = checkOpenFiles(inputs({ files: { '/proc/self/limits': LIMITS('1024', '524288') } }));
    expect(soft.status).toBe('warn');
    expect(soft.value).toBe('soft 1,024, hard 524,288');
    expect(soft.fix.split('\n')[0]).toMatch(/^ulimit -n 65536 /);
    expect(soft.fix).toContain('LimitNOFILE=65536');

    // The hard limit is too low too: limits.conf / systemd / docker.
    const hard = checkOpenFiles(inputs({ limits: () => ({ soft: 20_000, hard: 20_000 }) }));
    expect(hard.status).toBe('warn');
    expect(hard.fix).toContain("echo '* hard nofile 65536' | sudo tee -a /etc/security/limits.conf");
    expect(hard.fix).toContain('docker run --ulimit nofile=65536:65536');
    expect(hard.fix).not.toMatch(/^ulimit/);

    // The limits provider wins over /proc.
    expect(
      checkOpenFiles(inputs({ limits: () => ({ soft: 1e6, hard: 1e6 }), files: { '/proc/self/limits': undefined } }))
        .status,
    ).toBe('ok');
  });

  it('somaxconn: warns below 4,096 with sysctl -w and the /etc/sysctl.d line', () => {
    expect(checkSomaxconn(inputs()).status).toBe('ok');
    const low = checkSomaxconn(inputs({ files: { '/proc/sys/net/core/somaxconn': '128\n' } }));
    expect([low.status, low.value]).toEqual(['warn', '128']);
    expect(low.fix).toBe(
      'sudo sysctl -w net.core.somaxconn=4096\n' +
        "echo 'net.core.somaxconn = 4096' | sudo tee -a /etc/sysctl.d/90-nmcp.conf   # keep it across reboots",
    );
  });

  it('tcp_rmem / tcp_wmem: warn when max < 16 MiB; the fix keeps min and default', () => {
    const rmem = checkTcpRmem(inputs({ files: { '/proc/sys/net/ipv4/tcp_rmem': '4096 87380 6291456' } }));
    expect(rmem.status).toBe('warn');
    expect(rmem.value).toBe('min 4,096, default 87,380, max 6,291,456 (6 MiB)');
    expect(rmem.fix.split('\n')[0]).toBe('sudo sysctl -w net.ipv4.tcp_rmem="4096 87380 16777216"');
    expect(rmem.fix).toContain(
      "echo 'net.ipv4.tcp_rmem = 4096 87380 16777216' | sudo tee -a /etc/sysctl.d/90-nmcp.conf",
    );
    const wmem = checkTcpWmem(inputs({ files: { '/proc/sys/net/ipv4/tcp_wmem': '4096\t16384\t4194304\n' } }));
    expect(wmem.status).toBe('warn');
    expect(wmem.fix.split('\n')[0]).toBe('sudo sysctl -w net.ipv4.tcp_wmem="4096 16384 16777216"');
    expect(checkTcpWmem(inputs({ files: { '/proc/sys/net/ipv4/tcp_wmem': '4096 16384 16777216' } })).status).toBe('ok');
    // Not three numbers: a warn that says so.
    const odd = checkTcpRmem(inputs({ files: { '/proc/sys/net/ipv4/tcp_rmem': '4096 87380' } }));
    expect([odd.status, odd.value]).toEqual(['warn', 'unknown']);
    expect(odd.detail).toContain('expected 3 numbers');
  });

  it('rmem_max / wmem_max: warn below 16 MiB, naming the option that gets cut', () => {
    const r = checkRmemMax(inputs({ files: { '/proc/sys/net/core/rmem_max': '212992' } }));
    expect(r.status).toBe('warn');
    expect(r.fix.split('\n')[0]).toBe('sudo sysctl -w net.core.rmem_max=16777216');
    expect(r.detail).toContain('recvBufferSize');
    const w = checkWmemMax(inputs({ files: { '/proc/sys/net/core/wmem_max': '4194304' } }));
    expect([w.status, w.value]).toEqual(['warn', '4,194,304 (4 MiB)']);
    expect(w.fix.split('\n')[0]).toBe('sudo sysctl -w net.core.wmem_max=16777216');
    expect(checkWmemMax(inputs({ files: { '/proc/sys/net/core/wmem_max': String(16 * MiB) } })).status).toBe('ok');
  });

  it('netdev_max_backlog: warns below 5,000', () => {
    expect(checkNetdevMaxBacklog(inputs()).status).toBe('ok');
    const low = checkNetdevMaxBacklog(inputs({ files: { '/proc/sys/net/core/netdev_max_backlog': '1000' } }));
    expect([low.status, low.value]).toEqual(['warn', '1,000']);
    expect(low.fix.split('\n')[0]).toBe('sudo sysctl -w net.core.netdev_max_backlog=5000');
  });

  it('swappiness: warns above 10 while swap is in use; no swap, no effect: ok', () => {
    expect(checkSwappiness(inputs({ files: { '/proc/sys/vm/swappiness': '10' } })).status).toBe('ok');
    const high = checkSwappiness(inputs({ files: { '/proc/sys/vm/swappiness': '60' } }));
    expect([high.status, high.value]).toEqual(['warn', '60']);
    expect(high.fix.split('\n')[0]).toBe('sudo sysctl -w vm.swappiness=1');
    const noSwap = checkSwappiness(
      inputs({ files: { '/proc/sys/vm/swappiness': '60', '/proc/swaps': 'Filename\tType\tSize\tUsed\tPriority\n' } }),
    );
    expect([noSwap.status, noSwap.value, noSwap.fix]).toEqual(['ok', '60 (no swap in use)', '']);
    // /proc/swaps unreadable: judged by swappiness alone.
    expect(
      checkSwappiness(inputs({ files: { '/proc/sys/vm/swappiness': '60', '/proc/swaps': undefined } })).status,
    ).toBe('warn');
  });

  it('UV_THREADPOOL_SIZE: unset is ok up to 4 CPUs, a warn above; invalid or over 1,024 warns', () => {
    expect(checkThreadpool(inputs({ cpus: 4 })).status).toBe('ok');
    const many = checkThreadpool(inputs({ cpus: 16 }));
    expect(many.status).toBe('warn');
    expect(many.value).toBe("unset (libuv's default 4; 16 CPUs)");
    expect(many.fix.split('\n')[0]).toBe(
      'UV_THREADPOOL_SIZE=16 nmcp serve …   # set before node starts; libuv reads it once',
    );
    expect(many.fix).toContain('Environment=UV_THREADPOOL_SIZE=16');
    expect(checkThreadpool(inputs({ cpus: 16, env: { UV_THREADPOOL_SIZE: '16' } })).status).toBe('ok');
    const bad = checkThreadpool(inputs({ env: { UV_THREADPOOL_SIZE: 'lots' } }));
    expect([bad.status, bad.value]).toEqual(['warn', '"lots"']);
    expect(bad.detail).toContain('libuv ignores');
    const huge = checkThreadpool(inputs({ env: { UV_THREADPOOL_SIZE: '5000' } }));
    expect([huge.status, huge.value]).toEqual(['warn', '5,000 (libuv uses 1,024)']);
    expect(checkThreadpool(inputs({ cpus: 4096 })).fix).toContain('UV_THREADPOOL_SIZE=1024 ');
  });

  it('heap limit: warns below 1 GiB and says where --max-old-space-size came from', () => {
    const def = checkHeapLimit(inputs({ heapSizeLimit: 4144 * MiB }));
    expect([def.status, def.value]).toEqual([
      'ok',
      "4,144 MiB (V8's default, from the memory this machine or container has)",
    ]);
    const low = checkHeapLimit(inputs({ heapSizeLimit: 512 * MiB, env: { NODE_OPTIONS: '--max-old-space-size=512' } }));
    expect(low.status).toBe('warn');
    expect(low.value).toBe('512 MiB (--max-old-space-size=512 from NODE_OPTIONS)');
    expect(low.fix.split('\n')[0]).toMatch(/^NODE_OPTIONS=--max-old-space-size=4096 /);
    const argv = checkHeapLimit(
      inputs({
        heapSizeLimit: 2048 * MiB,
        execArgv: ['--max_old_space_size=1024', '--max-old-space-size=2048'],
        env: { NODE_OPTIONS: '--max-old-space-size=512' },
      }),
    );
    expect([argv.status, argv.value]).toEqual(['ok', '2,048 MiB (--max-old-space-size=2048 on the node command line)']);
  });

  it('native core: ok native; warn twin; fail when NMCP_REQUIRE_NATIVE=1 and the twin serves or the load threw', () => {
    expect(checkNativeCore(inputs()).status).toBe('ok');
    expect(checkNativeCore(inputs()).value).toBe('native (nmcp-core 0.1.0)');
    const failed: CoreInfo = { kind: 'ts', reason: 'native addon failed to load: Cannot find module', version: 'ts' };
    const twin = checkNativeCore(inputs({ core: failed }));
    expect(twin.status).toBe('warn');
    expect(twin.fix).toContain('npm run build:native');
    const chosen = checkNativeCore(inputs({ core: { kind: 'ts', reason: 'NMCP_NATIVE=0', version: 'ts' } }));
    expect([chosen.status, chosen.fix]).toEqual(['warn', 'unset NMCP_NATIVE   # NMCP_NATIVE=0 chooses the twin']);
    const required = checkNativeCore(inputs({ core: failed, env: { NMCP_REQUIRE_NATIVE: '1' } }));
    expect(required.status).toBe('fail');
    expect(required.fix).toContain('npm run build:native');
    const threw = checkNativeCore(inputs({ core: new Error('native addon failed to load: nope') }));
    expect([threw.status, threw.detail]).toEqual(['fail', 'native addon failed to load: nope']);
    const report = runDoctor(inputs({ core: failed, env: { NMCP_REQUIRE_NATIVE: '1' } }));
    expect(report.summary.fail).toBe(1);
    expect(doctorExitCode(report)).toBe(1);
  });

  it('a file that cannot be read is a warn saying so, never a throw', () => {
    const none: DoctorInputs = {
      ...inputs(),
      readFile: (path) => {
        throw Object.assign(new Error(`EACCES: ${path}`), { code: 'EACCES' });
      },
    };
    const report = runDoctor(none);
    const fileChecks = report.checks.filter((c) => !['uv-threadpool', 'heap-limit', 'native-core'].includes(c.id));
    expect(fileChecks).toHaveLength(8);
    for (const c of fileChecks) {
      expect(c.status).toBe('warn');
      expect(c.value).toBe('unknown');
      expect(c.detail).toMatch(/^cannot read \/proc\/\S+ \(EACCES\)/);
    }
    expect(report.checks.find((c) => c.id === 'somaxconn')?.fix).toBe('sysctl net.core.somaxconn   # read it by hand');
    expect(doctorExitCode(report)).toBe(0);
    const garbage = checkSomaxconn(inputs({ files: { '/proc/sys/net/core/somaxconn': 'many' } }));
    expect([garbage.status, garbage.value]).toEqual(['warn', 'unknown']);
    expect(garbage.detail).toContain('unexpected content "many"');
  });

  it('sysctlFix quotes multi-value settings; every check has a distinct id', () => {
    expect(sysctlFix('vm.swappiness', '1').split('\n')[0]).toBe('sudo sysctl -w vm.swappiness=1');
    expect(sysctlFix('net.ipv4.tcp_rmem', '1 2 3').split('\n')[0]).toBe('sudo sysctl -w net.ipv4.tcp_rmem="1 2 3"');
    const ids = runDoctor(inputs()).checks.map((c) => c.id);
    expect(new Set(ids).size).toBe(DOCTOR_CHECKS.length);
  });

  it('the real inputs of this process read without throwing', async () => {
    const real = await defaultDoctorInputs();
    expect(real.cpus).toBeGreaterThan(0);
    expect(real.heapSizeLimit).toBeGreaterThan(0);
    const report = runDoctor(real);
    expect(report.checks).toHaveLength(DOCTOR_CHECKS.length);
  });
});
