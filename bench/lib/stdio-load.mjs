// A pipelined JSON-RPC load generator over a child process's stdio (NDJSON), built so that it is not the bottleneck:
// requests are written as raw NDJSON, a batch per write; responses are matched by a scan for `"id":` (no JSON.parse,
// no SDK client). One child process, one connection, `inFlight` requests outstanding at all times.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

/** The child's user+system CPU time in ms (Linux /proc; undefined elsewhere). */
function childCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces, hence the last ')'): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** An ASCII text of exactly `bytes` bytes that needs no JSON escaping. */
export function payloadText(bytes) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 ';
  let s = '';
  for (let i = 0; i < bytes; i++) s += alphabet[(i * 7) % alphabet.length];
  return s;
}

/**
 * Spawns `command args`, runs the MCP initialize handshake, then keeps `inFlight` tools/call `echo` requests
 * outstanding: `warmupMs`, then a measured window of `durationMs`; then stops sending, drains, and checks that every
 * id was answered exactly once with a result that carries the text.
 *
 * Resolves with { responses, seconds, perSecond, errors, lost, unexpected, serverCpuMs, clientCpuMs }.
 */
export async function runStdioLoad({
  command,
  args = [],
  env = process.env,
  inFlight = 64,
  warmupMs = 1000,
  durationMs = 5000,
  textBytes = 200,
  tool = 'echo',
  drainTimeoutMs = 10_000,
  protocolVersion = '2025-06-18',
}) {
  const text = payloadText(textBytes);
  const prefix = '{"jsonrpc":"2.0","id":';
  const suffix = `,"method":"tools/call","params":{"name":${JSON.stringify(tool)},"arguments":{"text":${JSON.stringify(text)}}}}\n`;

  const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => {
    stderrTail = (stderrTail + s).slice(-4000);
  });
  child.stdin.on('error', () => {});
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let failure;
  const fail = (message) => {
    failure ??= new Error(`${message}${stderrTail ? `\n--- server stderr (tail) ---\n${stderrTail}` : ''}`);
  };
  exited.then(({ code, signal }) => {
    if (phase !== 'done') fail(`the server exited early (${signal ? `signal ${signal}` : `code ${code}`})`);
    wake?.();
  });

  // ---- state
  let phase = 'handshake'; // handshake → warmup → measure → drain → done
  let wake; // resolves the current wait
  const outstanding = new Set();
  let nextId = 1;
  let responses = 0; // tools/call responses, all phases
  let errors = 0;
  let unexpected = 0; // responses whose id was not outstanding, or lines that are not responses
  let buffered = '';
  let initialized = false;

  const issue = (n) => {
    if (n <= 0) return;
    let batch = '';
    for (let i = 0; i < n; i++) {
      const id = nextId++;
      outstanding.add(id);
      batch += prefix + id + suffix;
    }
    child.stdin.write(batch);
  };

  const onLine = (data, start, end) => {
    const idAt = data.indexOf('"id":', start);
    if (idAt === -1 || idAt > end) {
      unexpected++; // a notification (logging, …): not expected from an echo
      return 0;
    }
    let p = idAt + 5;
    while (data.charCodeAt(p) === 32) p++;
    let id = 0;
    let digits = 0;
    for (let c = data.charCodeAt(p); c >= 48 && c <= 57; c = data.charCodeAt(++p)) {
      id = id * 10 + (c - 48);
      digits++;
    }
    if (phase === 'handshake') {
      if (digits > 0 && id === 0) {
        const resultAt = data.indexOf('"result"', start);
        if (resultAt === -1 || resultAt > end) fail(`initialize failed: ${data.slice(start, end)}`);
        initialized = true;
        wake?.();
      } else unexpected++;
      return 0;
    }
    if (digits === 0 || !outstanding.delete(id)) {
      unexpected++;
      return 0;
    }
    responses++;
    const resultAt = data.indexOf('"result"', start);
    if (resultAt === -1 || resultAt > end) {
      errors++;
      if (errors === 1) fail(`the server answered with an error: ${data.slice(start, Math.min(end, start + 500))}`);
    } else {
      const textAt = data.indexOf(text, start);
      if (textAt === -1 || textAt > end) {
        errors++;
        if (errors === 1) fail(`the result does not carry the text: ${data.slice(start, Math.min(end, start + 500))}`);
      }
    }
    return 1;
  };

  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    const data = buffered.length === 0 ? chunk : buffered + chunk;
    let start = 0;
    let answered = 0;
    for (let nl = data.indexOf('\n', start); nl !== -1; nl = data.indexOf('\n', start)) {
      if (nl > start) answered += onLine(data, start, nl);
      start = nl + 1;
    }
    buffered = start === data.length ? '' : data.slice(start);
    if (phase === 'warmup' || phase === 'measure') issue(answered);
    else if (phase === 'drain' && outstanding.size === 0) wake?.();
  });

  const waitFor = (ms) =>
    new Promise((resolve) => {
      const t = ms === undefined ? undefined : setTimeout(resolve, ms);
      wake = () => {
        if (t) clearTimeout(t);
        wake = undefined;
        resolve();
      };
    });

  // ---- handshake
  child.stdin.write(
    `${JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion, capabilities: {}, clientInfo: { name: 'nmcp-bench', version: '1.0.0' } },
    })}\n`,
  );
  await waitFor(10_000);
  if (!initialized) fail('no answer to initialize within 10 s');
  if (failure) return finish();
  child.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');

  // ---- warm up, then measure
  phase = 'warmup';
  issue(inFlight);
  await waitFor(warmupMs);
  if (failure) return finish();
  phase = 'measure';
  const r0 = responses;
  const t0 = process.hrtime.bigint();
  const s0 = childCpuMs(child.pid);
  const c0 = process.cpuUsage();
  await waitFor(durationMs);
  const r1 = responses;
  const t1 = process.hrtime.bigint();
  const s1 = childCpuMs(child.pid);
  const c1 = process.cpuUsage(c0);
  if (failure) return finish();

  // ---- drain
  phase = 'drain';
  if (outstanding.size > 0) await waitFor(drainTimeoutMs);
  return finish();

  async function finish() {
    const wasFailure = failure;
    phase = 'done';
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    if (wasFailure) throw wasFailure;
    const seconds = Number(t1 - t0) / 1e9;
    const measured = r1 - r0;
    return {
      responses: measured,
      seconds,
      perSecond: measured / seconds,
      total: responses,
      errors,
      lost: outstanding.size,
      unexpected,
      serverCpuMs: s0 === undefined || s1 === undefined ? undefined : s1 - s0,
      clientCpuMs: (c1.user + c1.system) / 1000,
    };
  }
}
