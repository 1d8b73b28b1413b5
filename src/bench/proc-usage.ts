/**
 * A server process's CPU time and resident memory, read from Linux /proc (undefined elsewhere, or for a server that is
 * not our child, such as a URL target). CPU comes from /proc/<pid>/stat (all threads); RSS from /proc/<pid>/status,
 * sampled every 100 ms so that a peak between start and end is seen.
 */
import { readFileSync } from 'node:fs';

/** Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on every Linux Node supports. */
const CLK_TCK = 100;

/** User + system CPU time of `pid` in ms, or undefined when /proc cannot tell. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return ((utime + stime) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** VmRSS of `pid` in bytes, or undefined. */
export function processRssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Measures a set of server processes over a window: CPU time used and RSS at start, peak and end (summed over pids). */
export class UsageMeter {
  readonly #pids: readonly number[];
  #cpu0: number | undefined;
  #t0 = 0;
  #rssStart: number | undefined;
  #rssPeak = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(pids: readonly number[]) {
    this.#pids = pids;
  }

  start(): void {
    this.#t0 = performance.now();
    this.#cpu0 = this.#cpu();
    this.#rssStart = this.#rss();
    this.#rssPeak = this.#rssStart ?? 0;
    this.#timer = setInterval(() => {
      const r = this.#rss();
      if (r !== undefined && r > this.#rssPeak) this.#rssPeak = r;
    }, 100);
    this.#timer.unref();
  }

  /** Stops sampling; returns CPU ms used, wall ms, and RSS start/peak/end (undefined when unmeasurable). */
  stop(): { cpuMs: number | undefined; wallMs: number; rss: { start: number; peak: number; end: number } | undefined } {
    if (this.#timer) clearInterval(this.#timer);
    const wallMs = performance.now() - this.#t0;
    const cpu1 = this.#cpu();
    const end = this.#rss();
    const cpuMs = this.#cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - this.#cpu0;
    const rss =
      this.#rssStart === undefined || end === undefined
        ? undefined
        : { start: this.#rssStart, peak: Math.max(this.#rssPeak, end), end };
    return { cpuMs, wallMs, rss };
  }

  #cpu(): number | undefined {
    if (this.#pids.length === 0) return undefined;
    let sum = 0;
    for (const pid of this.#pids) {
      const c = processCpuMs(pid);
      if (c === undefined) return undefined;
      sum += c;
    }
    return sum;
  }

  #rss(): number | undefined {
    if (this.#pids.length === 0) return undefined;
    let sum = 0;
    for (const pid of this.#pids) {
      const r = processRssBytes(pid);
      if (r === undefined) return undefined;
      sum += r;
    }
    return sum;
  }
}
