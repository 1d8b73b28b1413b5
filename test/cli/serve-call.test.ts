/**
 * `nmcp serve` and `nmcp call`, end to end through the built CLI (dist/cli/main.js), plus the argument helpers.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { parseKeyValues } from '../../src/cli/call.js';
import { splitCommand } from '../../src/cli/split-command.js';
import { runCli } from '../helpers/run-cli.js';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
const SERVER = `${quote(process.execPath)} ${quote(cli)} serve --stdio --example everything`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const run = (args: string[], input?: string, timeoutMs = 60_000): Promise<Run> =>
  runCli(args, { ...(input !== undefined ? { input } : {}), timeoutMs });

const call = (...args: string[]) => run(['call', '--stdio', SERVER, ...args]);
/** The same, pinned to the handshake era: no server/discover probe, so one server process instead of two. */
const callLegacy = (...args: string[]) => run(['call', '--stdio', SERVER, '--negotiation', 'legacy', ...args]);

// Every case spawns real processes (nmcp call, and the server it starts) and the cases run concurrently: on a loaded
// 2-core machine one case can take tens of seconds, which says nothing about nmcp. Generous timeouts, no speed asserts.
vi.setConfig({ testTimeout: 120_000 });

describe('splitCommand', () => {
  it('splits like a shell: quotes, escapes, no expansion', () => {
    expect(splitCommand('node  server.js --flag')).toEqual(['node', 'server.js', '--flag']);
    expect(splitCommand(`"/path with space/node" 'a b' c\\ d "x\\"y" '$HOME'`)).toEqual([
      '/path with space/node',
      'a b',
      'c d',
      'x"y',
      '$HOME',
    ]);
    expect(splitCommand(`a'b'"c"`)).toEqual(['abc']);
    expect(splitCommand(`''`)).toEqual(['']);
    expect(splitCommand('   ')).toEqual([]);
    expect(() => splitCommand(`'open`)).toThrow(/unterminated/);
    expect(() => splitCommand(`"open`)).toThrow(/unterminated/);
  });
});

describe('parseKeyValues', () => {
  it('JSON when it parses, else the text', () => {
    expect(
      parseKeyValues(['n=5', 'ok=true', 's=hello', 'q="5"', 'arr=[1,"a"]', 'o={"a":1}', 'e=', 'eq=a=b'], true),
    ).toEqual({
      n: 5,
      ok: true,
      s: 'hello',
      q: '5',
      arr: [1, 'a'],
      o: { a: 1 },
      e: '',
      eq: 'a=b',
    });
    expect(parseKeyValues(['n=5'], false)).toEqual({ n: '5' });
    expect(parseKeyValues(['oops'], true)).toMatch(/key=value/);
    expect(parseKeyValues(['=v'], true)).toMatch(/key=value/);
  });
});

describe.concurrent('nmcp serve', () => {
  it('--help', async ({ expect }) => {
    const r = await run(['serve', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--max-message-size');
  });

  it('bad usage exits 2 and says how to fix it', async ({ expect }) => {
    const cases: [string[], RegExp][] = [
      [['serve'], /--stdio/],
      [['serve', '--stdio'], /--example/],
      [['serve', '--stdio', '--example', 'nope'], /unknown example "nope"[\s\S]*everything/],
      [['serve', '--stdio', '--example', 'everything', '--max-message-size', '1k'], /--max-message-size must be/],
      [['serve', '--stdio', '--example', 'everything', '--max-message-size', '0'], /--max-message-size must be/],
      [['serve', '--tcp', '4000'], /--example/],
      [['serve', '--frobnicate'], /Unknown option '--frobnicate'[\s\S]*nmcp serve --help/],
      [['serve', '--stdio', '--http', '0', '--example', 'everything'], /choose one transport, not --stdio and --http/],
      [['serve', '--tcp', '70000', '--example', 'everything'], /--tcp needs a port number/],
      [['serve', '--http', '0', '--framing', 'ndjson', '--example', 'everything'], /--framing applies to --tcp/],
      [['serve', '--tcp', '0', '--framing', 'xml', '--example', 'everything'], /--framing must be/],
      [['serve', '--tcp', '0', '--tls-cert', 'x.pem', '--example', 'everything'], /go together/],
      [['serve', '--tcp', '0', '--example', 'everything', '--config', '/nonexistent.json'], /cannot read --config/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    for (const [i, [args, message]] of cases.entries()) {
      const r = results[i] as Run;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });

  it('serves a session on stdin/stdout and exits 0 when stdin closes; stdout carries only messages', async ({
    expect,
  }) => {
    const input = [
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } },
      { jsonrpc: '2.0', id: 3, method: 'resources/read', params: { uri: 'test://static-text' } },
    ]
      .map((m) => `${JSON.stringify(m)}\n`)
      .join('');
    const r = await run(['serve', '--stdio', '--example', 'everything'], input);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: number; result: unknown });
    expect(lines.map((l) => l.id)).toEqual([1, 2, 3]);
    expect(lines[0]?.result).toMatchObject({ protocolVersion: '2025-06-18', serverInfo: { name: 'nmcp-everything' } });
    expect(lines[1]?.result).toEqual({ content: [{ type: 'text', text: 'hi' }] });
    expect(lines[2]?.result).toMatchObject({ contents: [{ uri: 'test://static-text' }] });
  });
});

describe.concurrent('nmcp call', () => {
  it('tools/call echo prints the result as JSON', async ({ expect }) => {
    const r = await call('tools/call', 'echo', 'text=hello world');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // auto negotiates 2026-07-28 with this server: the result also carries _meta (serverInfo)
    expect(JSON.parse(r.stdout)).toMatchObject({ content: [{ type: 'text', text: 'hello world' }] });
    expect(JSON.parse(r.stdout).content).toHaveLength(1);
  });

  it('values parse as JSON when they parse (numbers → structuredContent)', async ({ expect }) => {
    const r = await call('tools/call', 'add', 'a=2', 'b=3');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).structuredContent).toEqual({ sum: 5 });
    const s = await call('tools/call', 'stats', 'values=[1,2,6]');
    expect(JSON.parse(s.stdout).structuredContent).toEqual({ count: 3, sum: 9, mean: 3 });
  });

  it('tools/list, resources/read, prompts/get, ping', async ({ expect }) => {
    const tools = await callLegacy('tools/list');
    expect(tools.code).toBe(0);
    const listed = JSON.parse(tools.stdout) as { tools?: { name: string }[] } | { name: string }[];
    const names = (Array.isArray(listed) ? listed : (listed.tools ?? [])).map((t) => t.name);
    expect(names).toContain('echo');

    const read = await callLegacy('resources/read', 'test://static-text');
    expect(read.code).toBe(0);
    expect(JSON.parse(read.stdout)).toMatchObject({
      contents: [{ uri: 'test://static-text', text: 'This is the content of the static text resource.' }],
    });

    const prompt = await callLegacy('prompts/get', 'test_prompt_with_arguments', 'arg1=1', 'arg2=two');
    expect(prompt.code).toBe(0);
    expect(JSON.parse(prompt.stdout).messages[0].content.text).toBe("Prompt with arguments: arg1='1', arg2='two'");

    const ping = await callLegacy('ping');
    expect(ping.code).toBe(0);
    expect(JSON.parse(ping.stdout)).toEqual({});
  });

  it('works pinned to either era', async ({ expect }) => {
    for (const negotiation of ['legacy', '2026-07-28']) {
      const r = await run(['call', '--stdio', SERVER, '--negotiation', negotiation, 'tools/call', 'echo', 'text=x']);
      expect(r.code, `${negotiation}: ${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout).content).toEqual([{ type: 'text', text: 'x' }]);
    }
  });

  it('server errors: printed with their code, exit 1', async ({ expect }) => {
    const tool = await call('tools/call', 'no_such_tool');
    expect(tool.code).toBe(1);
    expect(tool.stderr).toMatch(/server error -32602/);
    expect(tool.stdout).toBe('');
    // resource not found: -32002 in the legacy era, -32602 in 2026-07-28 (what `auto` negotiates with this server)
    const legacy = await run(['call', '--stdio', SERVER, '--negotiation', 'legacy', 'resources/read', 'test://nope']);
    expect(legacy.code).toBe(1);
    expect(legacy.stderr).toMatch(/server error -32002: .*test:\/\/nope/);
    const modern = await call('resources/read', 'test://nope');
    expect(modern.code).toBe(1);
    expect(modern.stderr).toMatch(/server error -32602: .*test:\/\/nope/);
  });

  it('a tool that reports isError: result on stdout, exit 1', async ({ expect }) => {
    const r = await call('tools/call', 'fail', 'message=boom');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ isError: true });
    expect(r.stderr).toMatch(/isError/);
  });

  it('a server that cannot start: exit 1 with the reason', async ({ expect }) => {
    const r = await run(['call', '--stdio', '/nonexistent/server --flag', 'ping']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not connect/);
  });

  it('bad usage exits 2 and says how to fix it', async ({ expect }) => {
    const cases: [string[], RegExp][] = [
      [['call', 'tools/list'], /no server to call[\s\S]*--stdio/],
      [['call', '--stdio', SERVER], /no method given/],
      [['call', '--stdio', SERVER, 'tools/frobnicate'], /unknown method "tools\/frobnicate"/],
      [['call', '--stdio', SERVER, 'tools/call'], /tools\/call needs a NAME/],
      [['call', '--stdio', SERVER, 'tools/call', 'echo', 'oops'], /expected key=value, got "oops"/],
      [['call', '--stdio', SERVER, 'resources/read'], /exactly one URI/],
      [['call', '--stdio', SERVER, 'ping', 'extra'], /ping takes no arguments/],
      [['call', '--stdio', `'unterminated`, 'ping'], /unterminated/],
      [['call', '--stdio', SERVER, '--negotiation', 'sometimes', 'ping'], /--negotiation/],
      [['call', '--stdio', SERVER, '--timeout', '-1', 'ping'], /--timeout|option/i],
      [['call', '--tcp', 'localhost', 'ping'], /--tcp needs HOST:PORT/],
      [['call', '--http', 'not a url', 'ping'], /--http needs a URL/],
      [['call', '--http', 'ftp://x/mcp', 'ping'], /http: or https:/],
      [['call', '--http', 'http://127.0.0.1:1/mcp', '--framing', 'ndjson', 'ping'], /--framing applies/],
      [['call', '--tcp', '127.0.0.1:1', '--stdio', SERVER, 'ping'], /choose one server/],
      [['call', '--tcp', '127.0.0.1:1', '--http2', 'ping'], /--http2 applies to --http only/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    for (const [i, [args, message]] of cases.entries()) {
      const r = results[i] as Run;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});

/** Starts `nmcp serve` with a network transport; resolves with its address once it is listening. */
async function serveNetwork(args: string[]): Promise<{ address: string; stop(): Promise<Run> }> {
  const child = spawn(process.execPath, [cli, 'serve', ...args, '--example', 'everything'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
  });
  const exited = new Promise<Run>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nmcp serve ${args.join(' ')} did not listen: ${stderr}`)), 15_000);
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      const m = /listening on (.+)\n/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.on('exit', () => reject(new Error(`nmcp serve exited: ${stderr}`)));
  });
  return {
    address,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe.concurrent('nmcp serve and call over TCP, a Unix socket and HTTP', () => {
  for (const framing of ['length-prefixed', 'ndjson']) {
    it(`TCP, ${framing}: call both eras, then SIGTERM closes cleanly (exit 0)`, async ({ expect }) => {
      const server = await serveNetwork(['--tcp', '0', '--framing', framing]);
      expect(server.address).toMatch(new RegExp(`^tcp://127\\.0\\.0\\.1:\\d+ \\(${framing}\\)$`));
      const target = server.address.slice('tcp://'.length, server.address.indexOf(' '));
      const modern = await run(['call', '--tcp', target, '--framing', framing, 'tools/call', 'echo', 'text=hi']);
      expect(modern.code, modern.stderr).toBe(0);
      expect(JSON.parse(modern.stdout).content).toEqual([{ type: 'text', text: 'hi' }]);
      const legacy = await run([
        'call',
        '--tcp',
        target,
        '--framing',
        framing,
        '--negotiation',
        'legacy',
        'tools/list',
      ]);
      expect(legacy.code, legacy.stderr).toBe(0);
      expect(JSON.parse(legacy.stdout).tools.map((t: { name: string }) => t.name)).toContain('echo');
      const end = await server.stop();
      expect(end.code).toBe(0);
      expect(end.stderr).toContain('closing');
    });
  }

  it.skipIf(process.platform === 'win32')('a Unix socket', async ({ expect }) => {
    const path = `${tmpdir()}/nmcp-cli-${process.pid}-${Date.now()}.sock`;
    const server = await serveNetwork(['--unix', path]);
    expect(server.address).toBe(`unix:${path} (length-prefixed)`);
    const r = await run(['call', '--unix', path, 'resources/read', 'test://static-text']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).contents[0].uri).toBe('test://static-text');
    expect((await server.stop()).code).toBe(0);
  });

  it('Streamable HTTP: both eras; a connection failure is exit 1 with the reason', async ({ expect }) => {
    const server = await serveNetwork(['--http', '0']);
    expect(server.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const modern = await run(['call', '--http', server.address, 'tools/call', 'echo', 'text=over http']);
    expect(modern.code, modern.stderr).toBe(0);
    expect(JSON.parse(modern.stdout).content).toEqual([{ type: 'text', text: 'over http' }]);
    const legacy = await run(['call', '--http', server.address, '--negotiation', 'legacy', 'prompts/list']);
    expect(legacy.code, legacy.stderr).toBe(0);
    expect(JSON.parse(legacy.stdout).prompts.length).toBeGreaterThan(0);
    expect((await server.stop()).code).toBe(0);
    const h2 = await serveNetwork(['--http', '0', '--http2']);
    expect(h2.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp \(HTTP\/2\)$/);
    const h2call = await run([
      'call',
      '--http',
      h2.address.replace(/ .*/, ''),
      '--http2',
      'tools/call',
      'echo',
      'text=h2',
    ]);
    expect(h2call.code, h2call.stderr).toBe(0);
    expect(JSON.parse(h2call.stdout).content).toEqual([{ type: 'text', text: 'h2' }]);
    expect((await h2.stop()).code).toBe(0);
    const gone = await run(['call', '--http', server.address, '--timeout', '3000', 'ping']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/could not connect/);
  });

  it('--config: options reach the transport; a bad key is exit 2 naming it', async ({ expect }) => {
    const dir = mkdtempSync(`${tmpdir()}/nmcp-cli-`);
    const bad = `${dir}/bad.json`;
    writeFileSync(bad, JSON.stringify({ tcp: { maxConnectionz: 5 } }));
    const r = await run(['serve', '--tcp', '0', '--example', 'everything', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/maxConnectionz is not a known option/);
    const unknownSection = `${dir}/section.json`;
    writeFileSync(unknownSection, JSON.stringify({ websocket: {} }));
    const r2 = await run(['serve', '--tcp', '0', '--example', 'everything', '--config', unknownSection]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/unknown section "websocket"/);
    // maxConnections 1 from the file: a second connection is refused while the first is open.
    const good = `${dir}/good.json`;
    writeFileSync(good, JSON.stringify({ tcp: { maxConnections: 1, framing: 'ndjson' } }));
    const server = await serveNetwork(['--tcp', '0', '--config', good]);
    expect(server.address).toContain('(ndjson)');
    const target = server.address.slice('tcp://'.length, server.address.indexOf(' '));
    const holder = connect({ port: Number(target.split(':')[1]), host: '127.0.0.1' });
    await new Promise((resolve) => holder.once('connect', resolve));
    const refused = await run(['call', '--tcp', target, '--framing', 'ndjson', 'ping']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/maxConnections|connection/i);
    holder.destroy();
    await server.stop();
  });
});
