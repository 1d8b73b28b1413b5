/** The machine a report was measured on: figures from different machines are not comparable, so the report says. */
import { readFileSync } from 'node:fs';
import { arch, cpus, hostname, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import { activeCore } from '../native/index.js';
import type { MachineInfo } from './report.js';
import { packageRoot } from './servers.js';

export function machineInfo(): MachineInfo {
  const core = activeCore();
  let nmcpVersion = 'unknown';
  try {
    nmcpVersion = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    // a report without the version is still a report
  }
  const list = cpus();
  return {
    hostname: hostname(),
    platform: platform(),
    arch: arch(),
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    node: process.version,
    core: `${core.kind} ${core.version}`,
    nmcpVersion,
  };
}
