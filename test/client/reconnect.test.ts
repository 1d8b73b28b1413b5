import { describe, expect, it } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import type { Transport, TransportSink } from '../../src/transport/types.js';

interface Msg {
  id?: number;
  method?: string;
  params?: { protocolVersion?: string };
}

/**
 * A reconnecting transport with a scripted server behind it: it answers initialize (unless `holdInitialize`) and
 * echo-like tools/call, records every message per "connection", and can lose and regain the connection.
 */
class ScriptedReconnecting implements Transport {
  readonly kind = 'scripted';
  sink: TransportSink | undefined;
  connections: Msg[][] = [[]];
  up = true;
  holdInitialize = false;
  held: Msg[] = [];
  grantVersion: string | undefined;
  async start(sink: TransportSink): Promise<void> {
    this.sink = sink;
  }
  send(text: string): boolean {
    if (!this.up) return false;
    const m = JSON.parse(text) as Msg;
    this.connections.at(-1)?.push(m);
    if (m.method === 'initialize') {
      if (this.holdInitialize) this.held.push(m);
      else this.answerInitialize(m);
    } else if (m.method === 'tools/call' && m.id !== undefined) {
      this.reply(m.id, { content: [{ type: 'text', text: 'ok' }] });
    }
    return true;
  }
  answerInitialize(m: Msg): void {
    this.reply(m.id as number, {
      protocolVersion: this.grantVersion ?? m.params?.protocolVersion,
      capabilities: { tools: {} },
      serverInfo: { name: 'scripted', version: '1' },
    });
  }
  reply(id: number, result: unknown): void {
    const text = JSON.stringify({ jsonrpc: '2.0', id, result });
    setImmediate(() => this.up && this.sink?.message(text));
  }
  async close(reason?: Error): Promise<void> {
    this.up = false;
    this.sink?.closed(reason);
  }
  lose(): void {
    this.up = false;
    this.sink?.interrupted?.(
      new NmcpError(ErrorCode.CONNECTION_CLOSED, 'the connection to scripted was lost; reconnecting', {
        reconnecting: true,
      }),
    );
  }
  regain(): void {
    this.up = true;
    this.connections.push([]);
    this.sink?.resumed?.();
  }
}

const tick = () => new Promise((r) => setTimeout(r, 10));

describe('McpClient over a reconnecting transport', () => {
  it('redoes initialize on each new connection before any waiting request goes out, even if lost again mid-handshake', async () => {
    const t = new ScriptedReconnecting();
    const client = new McpClient({ name: 'c', version: '1' }, { negotiation: 'legacy' });
    await client.connect(t);
    const version = client.protocolVersion;
    expect(t.connections[0]?.map((m) => m.method)).toEqual(['initialize', 'notifications/initialized']);

    t.lose();
    expect(client.connected).toBe(false);
    const waiting = client.callTool({ name: 'x', arguments: {} });
    await tick();

    // Reconnected, but this connection is lost again before initialize is answered.
    t.holdInitialize = true;
    t.regain();
    await tick();
    expect(t.connections[1]?.map((m) => m.method)).toEqual(['initialize']);
    t.lose();
    await tick();

    // The next connection completes the handshake; only then does the waiting call go out.
    t.holdInitialize = false;
    t.regain();
    expect(await waiting).toEqual({ content: [{ type: 'text', text: 'ok' }] });
    expect(t.connections[2]?.map((m) => m.method)).toEqual(['initialize', 'notifications/initialized', 'tools/call']);
    expect(t.connections[2]?.[0]?.params?.protocolVersion).toBe(version);
    expect(client.connected).toBe(true);
    await client.close();
  });

  it('a server that will not grant the version negotiated first closes the client; waiting calls fail', async () => {
    const t = new ScriptedReconnecting();
    const client = new McpClient({ name: 'c', version: '1' }, { negotiation: 'legacy' });
    await client.connect(t);
    t.lose();
    const waiting = client.callTool({ name: 'x', arguments: {} }).catch((e: unknown) => e);
    t.grantVersion = '2024-11-05';
    t.regain();
    const err = (await waiting) as NmcpError;
    expect(err.code).toBe(ErrorCode.CONNECTION_CLOSED);
    expect((err.cause as NmcpError).code).toBe(ErrorCode.NEGOTIATION_FAILED);
    expect(client.connected).toBe(false);
  });

  it('a call waiting for the reconnect fails after its timeoutMs, saying it is still reconnecting', async () => {
    const t = new ScriptedReconnecting();
    const client = new McpClient({ name: 'c', version: '1' }, { negotiation: 'legacy' });
    await client.connect(t);
    t.lose();
    const err = (await client
      .callTool({ name: 'x', arguments: {} }, { timeoutMs: 50 })
      .catch((e: unknown) => e)) as NmcpError;
    expect(err.code).toBe(ErrorCode.CONNECTION_CLOSED);
    expect(err.message).toBe('tools/call: the connection was lost and is still reconnecting after 50 ms');
    await client.close();
  });
});
