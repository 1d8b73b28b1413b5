/**
 * `nmcp serve` and `nmcp call`, end to end through the built CLI (dist/cli/main.js), plus the argument helpers.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseKeyValues } from '../../src/cli/call.js';
import { splitCommand } from '../../src/cli/split-command.js';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
const SERVER = `${quote(process.execPath)} ${quote(cli)} serve --stdio --example everything`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], input?: string, timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nmcp ${args.join(' ')} did not finish in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

const call = (...args: string[]) => run(['call', '--stdio', SERVER, ...args]);

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
      [['serve', '--tcp', '4000'], /Unknown option '--tcp'[\s\S]*nmcp serve --help/],
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
    const tools = await call('tools/list');
    expect(tools.code).toBe(0);
    const listed = JSON.parse(tools.stdout) as { tools?: { name: string }[] } | { name: string }[];
    const names = (Array.isArray(listed) ? listed : (listed.tools ?? [])).map((t) => t.name);
    expect(names).toContain('echo');

    const read = await call('resources/read', 'test://static-text');
    expect(read.code).toBe(0);
    expect(JSON.parse(read.stdout)).toMatchObject({
      contents: [{ uri: 'test://static-text', text: 'This is the content of the static text resource.' }],
    });

    const prompt = await call('prompts/get', 'test_prompt_with_arguments', 'arg1=1', 'arg2=two');
    expect(prompt.code).toBe(0);
    expect(JSON.parse(prompt.stdout).messages[0].content.text).toBe("Prompt with arguments: arg1='1', arg2='two'");

    const ping = await call('ping');
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
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    for (const [i, [args, message]] of cases.entries()) {
      const r = results[i] as Run;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
