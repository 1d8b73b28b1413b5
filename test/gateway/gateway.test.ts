/**
 * McpGateway end to end: a stdio upstream (`nmcp serve --stdio`) and a TCP one (`nmcp serve --tcp`), both the
 * everything example, behind one gateway served to McpClients over in-process pairs.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import { McpGateway } from '../../src/gateway/mcp-gateway.js';
import type { UpstreamStats } from '../../src/gateway/upstream.js';
import { McpError } from '../../src/protocol/jsonrpc.js';
import { MemoryTransport } from '../../src/transport/memory.js';
import { cli, serveTcp, stop, type TcpUpstreamProcess, text, until } from './helpers.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

let tcp: TcpUpstreamProcess;
let gateway: McpGateway;
const errors: Error[] = [];

function up(name: string, g: McpGateway = gateway): UpstreamStats {
  const stats = g.stats().upstreams[name];
  if (stats === undefined) throw new Error(`no upstream ${name}`);
  return stats;
}

async function downstream(): Promise<McpClient> {
  const [clientSide, serverSide] = MemoryTransport.pair();
  await gateway.server.connect(serverSide);
  const client = new McpClient({ name: 'downstream', version: '0' }, { negotiation: 'legacy' });
  await client.connect(clientSide);
  return client;
}

beforeAll(async () => {
  tcp = await serveTcp();
  gateway = new McpGateway({
    upstreams: [
      { name: 'a', stdio: { command: process.execPath, args: [cli, 'serve', '--stdio', '--example', 'everything'] } },
      { name: 'b', tcp: { port: tcp.port } },
    ],
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    onError: (e) => errors.push(e),
  });
  await gateway.start();
});

afterAll(async () => {
  await gateway?.close();
  if (tcp) await stop(tcp.child);
});

describe('McpGateway', () => {
  it('lists the upstreams’ tools namespaced and forwards calls to the right upstream', async () => {
    const client = await downstream();
    const names = (await client.listTools()).map((t) => t.name);
    expect(names).toContain('a__echo');
    expect(names).toContain('b__echo');
    expect(names).not.toContain('echo');
    const echo = (await client.listTools()).find((t) => t.name === 'a__echo');
    expect(echo?.inputSchema).toMatchObject({ required: ['text'] });
    expect(text(await client.callTool({ name: 'a__echo', arguments: { text: 'to a' } }))).toBe('to a');
    expect(text(await client.callTool({ name: 'b__add', arguments: { a: 2, b: 3 } }))).toBe('{"sum":5}');
    // Arguments are validated by the upstream, not the gateway: its answer comes back as it is.
    const bad = await client.callTool({ name: 'b__echo', arguments: { text: 7 } });
    expect(bad.isError).toBe(true);
    expect(up('a')).toMatchObject({ state: 'connected', breaker: 'closed' });
    expect(up('b').calls).toBeGreaterThanOrEqual(2);
    expect(up('a').tools).toBeGreaterThan(5);
    await client.close();
  });

  it('forwards prompts and resources (URIs kept, names namespaced; a URI in both goes to the first upstream)', async () => {
    const client = await downstream();
    const prompts = (await client.listPrompts()).map((p) => p.name);
    expect(prompts.some((n) => n.startsWith('a__'))).toBe(true);
    expect(prompts.some((n) => n.startsWith('b__'))).toBe(true);
    const resources = await client.listResources();
    expect(resources.length).toBeGreaterThan(0);
    for (const r of resources) expect(r.name.startsWith('a__')).toBe(true);
    expect(errors.some((e) => /served by upstreams a and b/.test(e.message))).toBe(true);
    const first = resources[0] as { uri: string };
    const read = await client.readResource({ uri: first.uri });
    expect(read.contents.length).toBeGreaterThan(0);
    const prompt = (await client.listPrompts()).find((p) => p.name.startsWith('b__'));
    if (prompt) {
      const args = Object.fromEntries((prompt.arguments ?? []).map((a) => [a.name, 'x']));
      const got = await client.getPrompt({ name: prompt.name, arguments: args });
      expect(got.messages.length).toBeGreaterThan(0);
    }
    await client.close();
  });

  it('two downstream clients using the same request ids each get their own answers', async () => {
    const [one, two] = await Promise.all([downstream(), downstream()]);
    const calls = [];
    for (let i = 0; i < 20; i++) {
      calls.push(one.callTool({ name: i % 2 ? 'a__echo' : 'b__echo', arguments: { text: `one-${i}` } }));
      calls.push(two.callTool({ name: i % 2 ? 'b__echo' : 'a__echo', arguments: { text: `two-${i}` } }));
    }
    const texts = (await Promise.all(calls)).map(text);
    for (let i = 0; i < 20; i++) {
      expect(texts[2 * i]).toBe(`one-${i}`);
      expect(texts[2 * i + 1]).toBe(`two-${i}`);
    }
    await Promise.all([one.close(), two.close()]);
  });

  it('propagates an upstream’s tools/list_changed downstream', async () => {
    const client = await downstream();
    let changed = 0;
    client.onNotification('notifications/tools/list_changed', () => {
      changed++;
    });
    expect((await client.listTools()).map((t) => t.name)).toContain('a__dynamic');
    await client.callTool({ name: 'a__toggle_dynamic_tool', arguments: {} });
    await until(() => changed > 0);
    await until(() => up('a').tools === up('b').tools - 1);
    const names = (await client.listTools()).map((t) => t.name);
    expect(names).not.toContain('a__dynamic');
    expect(names).toContain('b__dynamic');
    await client.callTool({ name: 'a__toggle_dynamic_tool', arguments: {} });
    await until(() => up('a').tools === up('b').tools);
    await client.close();
  });

  it('forwards progress and cancellation; a cancelled call is not a breaker failure', async () => {
    const client = await downstream();
    const progress: number[] = [];
    const done = await client.callTool(
      { name: 'b__long_running_operation', arguments: { steps: 3, delayMs: 5 } },
      { onProgress: (p) => progress.push(p.progress) },
    );
    expect(text(done)).toBe('completed 3 steps');
    expect(progress).toEqual([1, 2, 3]);
    const before = up('a');
    const controller = new AbortController();
    const slow = client.callTool({ name: 'a__slow', arguments: { ms: 20_000 } }, { signal: controller.signal });
    await until(() => up('a').calls > before.calls);
    controller.abort(new Error('changed my mind'));
    await expect(slow).rejects.toThrow('changed my mind');
    await new Promise((r) => setTimeout(r, 100));
    expect(up('a')).toMatchObject({ failures: before.failures, breaker: 'closed', state: 'connected' });
    await client.close();
  });

  it('respawns a stdio upstream that exits, and lists its tools again', async () => {
    const client = await downstream();
    const before = up('a').connects;
    const pids = execFileSync('pgrep', ['-P', String(process.pid), '-f', 'serve --stdio'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
    expect(pids.length).toBe(1);
    process.kill(pids[0] as number, 'SIGKILL');
    await until(() => up('a').connects === before + 1 && up('a').state === 'connected' && up('a').tools > 0);
    expect(text(await client.callTool({ name: 'a__echo', arguments: { text: 'respawned' } }))).toBe('respawned');
    await client.close();
  });

  it('an upstream that dies: its pending call fails with a clear error, the other goes on, then it comes back', async () => {
    const client = await downstream();
    const pending = client.callTool({ name: 'b__slow', arguments: { ms: 20_000 } });
    const outcome = pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    await until(() => up('b').calls > 0);
    await new Promise((r) => setTimeout(r, 200)); // the call reached b
    const port = tcp.port;
    await stop(tcp.child);
    const err = await outcome;
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(-32603);
    expect((err as McpError).message).toMatch(/^upstream b is unavailable: /);
    // a keeps working, b's tools are gone from the list while it is down
    expect(text(await client.callTool({ name: 'a__echo', arguments: { text: 'still here' } }))).toBe('still here');
    await until(() => up('b').state === 'reconnecting');
    expect((await client.listTools()).some((t) => t.name.startsWith('b__'))).toBe(false);
    const down = await client.callTool({ name: 'b__echo', arguments: { text: 'x' } }).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(Error); // b__echo is not offered now: -32602 unknown tool
    // b comes back on the same port: the gateway reconnects, re-handshakes and lists its tools again
    tcp = await serveTcp(port);
    await until(() => up('b').state === 'connected' && up('b').tools > 0);
    expect((await client.listTools()).map((t) => t.name)).toContain('b__echo');
    expect(text(await client.callTool({ name: 'b__echo', arguments: { text: 'back' } }))).toBe('back');
    expect(up('b').connects).toBe(2);
    await client.close();
  });

  it('opens the breaker after consecutive upstream timeouts and refuses at once while open', async () => {
    const g = new McpGateway({
      upstreams: [{ name: 'c', tcp: { port: tcp.port } }],
      requestTimeoutMs: 300,
      breaker: { failureThreshold: 2, openDurationMs: 60_000 },
    });
    try {
      await g.start();
      const [clientSide, serverSide] = MemoryTransport.pair();
      await g.server.connect(serverSide);
      const client = new McpClient({ name: 'downstream', version: '0' }, { negotiation: 'legacy' });
      await client.connect(clientSide);
      // A tool's isError result is an answer, not a failure.
      expect((await client.callTool({ name: 'c__fail', arguments: {} })).isError).toBe(true);
      expect(up('c', g)).toMatchObject({ breaker: 'closed', failures: 0 });
      for (let i = 0; i < 2; i++) {
        const e = await client.callTool({ name: 'c__slow', arguments: { ms: 3_000 } }).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(McpError);
      }
      expect(up('c', g)).toMatchObject({ breaker: 'open', failures: 2, calls: 3 });
      const refused = await client.callTool({ name: 'c__echo', arguments: { text: 'x' } }).catch((x: unknown) => x);
      expect(refused).toBeInstanceOf(McpError);
      expect((refused as McpError).code).toBe(-32603);
      expect((refused as McpError).message).toMatch(/^upstream c: circuit open, retry after \d+ ms$/);
      expect(up('c', g)).toMatchObject({ calls: 3, refused: 1 });
      await client.close();
    } finally {
      await g.close();
    }
  });
});
