/**
 * The gateway's data plane over real sockets: two upstream McpServers behind McpTcpServer, a downstream McpServer
 * (the control plane: initialize, and whatever is not forwarded) whose connections a Forwarder intercepts. Calls
 * namespaced `a__…` / `b__…` reach their upstream as bytes (ids rewritten, namespace cut) and come back with the
 * client's ids; two clients using the same ids each get their own answers; an unknown namespace falls to the
 * control plane; an upstream that goes away fails only its own pending calls.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import { Forwarder } from '../../src/gateway/forwarder.js';
import { McpServer } from '../../src/server/mcp-server.js';
import { TcpClientTransport } from '../../src/transport/tcp/client-transport.js';
import { McpTcpServer } from '../../src/transport/tcp/server.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

/** An upstream whose `echo` says who answered, and `slow` that waits until released. */
async function upstream(name: string): Promise<{ port: number; tcp: McpTcpServer; release: () => void }> {
  const server = new McpServer({ name: `up-${name}`, version: '1' });
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  server.registerTool('echo', { inputSchema: { type: 'object' } }, (args) => ({
    content: [{ type: 'text', text: `${name}:${String((args as { text?: unknown }).text)}` }],
  }));
  server.registerTool('slow', { inputSchema: { type: 'object' } }, async () => {
    await gate;
    return { content: [{ type: 'text', text: 'late' }] };
  });
  const tcp = new McpTcpServer(server);
  const { port } = (await tcp.listen({ port: 0 })) as { port: number };
  closers.push(() => tcp.close());
  return { port, tcp, release };
}

async function client(port: number): Promise<McpClient> {
  const c = new McpClient({ name: 'downstream', version: '0' }, { negotiation: 'legacy' });
  await c.connect(new TcpClientTransport({ port }));
  closers.push(() => c.close());
  return c;
}

async function gateway(ups: Record<string, number>) {
  const forwarder = new Forwarder();
  for (const [name, port] of Object.entries(ups)) {
    // The upstream connection: an McpClient does the handshake (control plane), the forwarder shares the socket.
    const transport = new TcpClientTransport({ port });
    const c = new McpClient({ name: 'gateway', version: '0' }, { negotiation: 'legacy' });
    await c.connect(transport);
    closers.push(() => c.close());
    forwarder.addUpstream(name, transport);
  }
  const control = new McpServer({ name: 'gateway', version: '1' });
  control.registerTool('local', {}, () => ({ content: [{ type: 'text', text: 'control plane' }] }));
  const tcp = new McpTcpServer(control, { onConnection: (t) => forwarder.attach(t) });
  const { port } = (await tcp.listen({ port: 0 })) as { port: number };
  closers.push(() => tcp.close());
  return { forwarder, port };
}

const text = (r: { content: unknown[] }) => (r.content as { text: string }[]).map((c) => c.text).join('');

describe('Forwarder', () => {
  it('forwards namespaced calls as bytes to the right upstream and maps the answers back', async () => {
    const a = await upstream('a');
    const b = await upstream('b');
    const g = await gateway({ a: a.port, b: b.port });
    const c = await client(g.port);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        c.callTool({ name: i % 2 ? 'b__echo' : 'a__echo', arguments: { text: `m${i}` } }).then(text),
      ),
    );
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => `${i % 2 ? 'b' : 'a'}:m${i}`));
    expect(g.forwarder.stats()).toMatchObject({ forwarded: 50, answered: 50, pending: 0, failed: 0 });
    // Not a known namespace: the control plane answers (here: its own tool).
    expect(text(await c.callTool({ name: 'local' }))).toBe('control plane');
    expect(g.forwarder.stats().notForwarded).toBe(1);
  });

  it('two clients with the same request ids each get their own answers', async () => {
    const a = await upstream('a');
    const g = await gateway({ a: a.port });
    const [c1, c2] = [await client(g.port), await client(g.port)];
    const [r1, r2] = await Promise.all([
      Promise.all(
        Array.from({ length: 20 }, (_, i) => c1.callTool({ name: 'a__echo', arguments: { text: `one${i}` } })),
      ),
      Promise.all(
        Array.from({ length: 20 }, (_, i) => c2.callTool({ name: 'a__echo', arguments: { text: `two${i}` } })),
      ),
    ]);
    expect(r1.map(text)).toEqual(Array.from({ length: 20 }, (_, i) => `a:one${i}`));
    expect(r2.map(text)).toEqual(Array.from({ length: 20 }, (_, i) => `a:two${i}`));
  });

  it('an upstream that goes away fails only its own pending calls', async () => {
    const a = await upstream('a');
    const b = await upstream('b');
    const g = await gateway({ a: a.port, b: b.port });
    const c = await client(g.port);
    const pending = c.callTool({ name: 'a__slow' });
    await expect.poll(() => g.forwarder.stats().pending).toBe(1);
    g.forwarder.removeUpstream('a', new Error('connection lost'));
    await expect(pending).rejects.toThrow(/upstream a is unavailable: connection lost/);
    expect(text(await c.callTool({ name: 'b__echo', arguments: { text: 'still' } }))).toBe('b:still');
    a.release();
  });
});
