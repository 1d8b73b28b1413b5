// Negotiation edge cases against a scripted in-process server (a JsonRpcSession over a memory transport pair).
import { describe, expect, it } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import type { McpClientOptions } from '../../src/client/types.js';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import { McpError } from '../../src/protocol/jsonrpc.js';
import { JsonRpcSession, type RequestHandler } from '../../src/session/session.js';
import { memoryPair, until } from './helpers.js';

const INFO = { name: 'unit', version: '1' };
const DISCOVER_OK = {
  supportedVersions: ['2026-07-28'],
  capabilities: { tools: {} },
  resultType: 'complete',
  _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'fake', version: '9' } },
};

async function scripted(handlers: Record<string, RequestHandler>, options: McpClientOptions = {}) {
  const pair = memoryPair();
  const server = new JsonRpcSession(pair.server);
  for (const [method, handler] of Object.entries(handlers)) server.requestHandlers.set(method, handler);
  const notes: string[] = [];
  server.notificationHandlers.set('notifications/initialized', () => notes.push('initialized'));
  await server.start();
  const client = new McpClient(INFO, options);
  const methods = () => pair.sent.map((m) => m.method).filter((m) => m !== undefined);
  return { client, server, transport: pair.client, sent: pair.sent, methods, notes };
}

const initialize =
  (version?: string): RequestHandler =>
  (params) => ({
    protocolVersion: version ?? params.protocolVersion,
    capabilities: { tools: {} },
    serverInfo: { name: 'fake', version: '1' },
  });

describe('legacy handshake', () => {
  it("'legacy' sends initialize with the latest legacy version, then notifications/initialized", async () => {
    const s = await scripted({ initialize: initialize() }, { negotiation: 'legacy', roots: [] });
    await s.client.connect(s.transport);
    expect(s.sent[0]).toMatchObject({
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', clientInfo: INFO, capabilities: { roots: { listChanged: true } } },
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(s.notes).toEqual(['initialized']);
    expect(s.client.era).toBe('legacy');
    expect(s.client.serverInfo).toEqual({ name: 'fake', version: '1' });
    // The client answers the server's ping in the legacy era.
    await expect(s.server.request('ping')).resolves.toEqual({});
    await s.client.close();
  });

  it('accepts an older legacy version the server answers with', async () => {
    const s = await scripted({ initialize: initialize('2024-11-05') }, { negotiation: 'legacy' });
    await s.client.connect(s.transport);
    expect(s.client.protocolVersion).toBe('2024-11-05');
    await s.client.close();
  });

  it('fails with NMCP_ERR_NEGOTIATION_FAILED when the server answers a version the client does not speak', async () => {
    const s = await scripted({ initialize: initialize('1999-01-01') }, { negotiation: 'legacy' });
    const err = await s.client.connect(s.transport).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NmcpError);
    expect((err as NmcpError).code).toBe(ErrorCode.NEGOTIATION_FAILED);
    expect((err as NmcpError).message).toContain('1999-01-01');
    expect((err as NmcpError).details).toMatchObject({ answered: '1999-01-01', requested: '2025-11-25' });
    expect(s.notes).toEqual([]); // no notifications/initialized
    expect(s.client.connected).toBe(false);
  });

  it('a pinned legacy version must come back unchanged', async () => {
    const s = await scripted({ initialize: initialize('2025-11-25') }, { negotiation: { pin: '2025-06-18' } });
    const err = await s.client.connect(s.transport).catch((e: unknown) => e);
    expect((err as NmcpError).code).toBe(ErrorCode.NEGOTIATION_FAILED);
    expect(s.sent[0]).toMatchObject({ params: { protocolVersion: '2025-06-18' } });
  });

  it('an initialize error surfaces as McpError and closes the connection', async () => {
    const s = await scripted({
      initialize: () => {
        throw new McpError(-32602, 'no thanks', { reason: 'x' });
      },
    });
    const err = await s.client.connect(s.transport).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).data).toEqual({ reason: 'x' });
    await until(() => s.server.closed);
  });
});

describe('auto negotiation (in place, on a non-stdio transport)', () => {
  it('a discover result with a mutual version selects the modern era; no initialize', async () => {
    const s = await scripted({ 'server/discover': () => DISCOVER_OK, initialize: initialize() });
    await s.client.connect(s.transport);
    expect(s.client.era).toBe('modern');
    expect(s.client.serverInfo).toEqual({ name: 'fake', version: '9' });
    expect(s.methods()).toEqual(['server/discover']);
    expect(s.sent[0]?.params).toHaveProperty('_meta', {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': INFO,
      'io.modelcontextprotocol/clientCapabilities': {},
    });
    await s.client.close();
  });

  it('-32601 (or any other error) falls back to initialize', async () => {
    const s = await scripted({ initialize: initialize() });
    await s.client.connect(s.transport);
    expect(s.client.era).toBe('legacy');
    expect(s.methods()).toEqual(['server/discover', 'initialize', 'notifications/initialized']);
    await s.client.close();
  });

  it('a discover result without a mutual version, or not a discover result, falls back to initialize', async () => {
    for (const answer of [{ ...DISCOVER_OK, supportedVersions: ['2099-01-01'] }, { hello: 'world' }]) {
      const s = await scripted({ 'server/discover': () => answer, initialize: initialize() });
      await s.client.connect(s.transport);
      expect(s.client.era).toBe('legacy');
      await s.client.close();
    }
  });

  it('-32022 naming a mutual version: probe once more (corrective); a second -32022 is final', async () => {
    let calls = 0;
    const reject = () => {
      throw new McpError(-32022, 'Unsupported protocol version', { supported: ['2026-07-28'], requested: 'x' });
    };
    const s = await scripted({ 'server/discover': () => (++calls === 1 ? reject() : DISCOVER_OK) });
    await s.client.connect(s.transport);
    expect(s.client.era).toBe('modern');
    expect(calls).toBe(2);
    await s.client.close();

    const t = await scripted({ 'server/discover': reject, initialize: initialize() });
    const err = await t.client.connect(t.transport).catch((e: unknown) => e);
    expect((err as NmcpError).code).toBe(ErrorCode.NEGOTIATION_FAILED);
    expect((err as NmcpError).details).toMatchObject({ supported: ['2026-07-28'] });
  });

  it('-32022 listing only newer modern versions is an error; listing only legacy versions falls back', async () => {
    const s = await scripted({
      'server/discover': () => {
        throw new McpError(-32022, 'no', { supported: ['2099-01-01'] });
      },
    });
    expect(((await s.client.connect(s.transport).catch((e) => e)) as NmcpError).code).toBe(
      ErrorCode.NEGOTIATION_FAILED,
    );
    const t = await scripted({
      'server/discover': () => {
        throw new McpError(-32022, 'no', { supported: ['2025-11-25'] });
      },
      initialize: initialize(),
    });
    await t.client.connect(t.transport);
    expect(t.client.era).toBe('legacy');
    await t.client.close();
  });

  it('a probe timeout on a non-stdio transport is an error (silence is an outage, not a legacy server)', async () => {
    const s = await scripted({ 'server/discover': () => new Promise(() => {}) }, { probeTimeoutMs: 50 });
    const err = await s.client.connect(s.transport).catch((e: unknown) => e);
    expect((err as NmcpError).code).toBe(ErrorCode.NEGOTIATION_FAILED);
    expect((err as NmcpError).message).toContain('timed out');
  });

  it('{ pin: modern } fails when discover does not offer it', async () => {
    const s = await scripted(
      { 'server/discover': () => ({ ...DISCOVER_OK, supportedVersions: ['2099-01-01'] }) },
      {
        negotiation: { pin: '2026-07-28' },
      },
    );
    const err = await s.client.connect(s.transport).catch((e: unknown) => e);
    expect((err as NmcpError).code).toBe(ErrorCode.NEGOTIATION_FAILED);
  });
});

describe('client state and options', () => {
  it('calls before connect and a second connect are NMCP_ERR_INVALID_STATE', async () => {
    const s = await scripted({ initialize: initialize() }, { negotiation: 'legacy' });
    await expect(s.client.listTools()).rejects.toMatchObject({ code: ErrorCode.INVALID_STATE });
    await expect(s.client.ping()).rejects.toMatchObject({ code: ErrorCode.INVALID_STATE });
    await s.client.connect(s.transport);
    await expect(s.client.connect(s.transport)).rejects.toMatchObject({ code: ErrorCode.INVALID_STATE });
    await s.client.close();
  });

  it('rejects bad options with NMCP_ERR_INVALID_OPTION', () => {
    const bad: unknown[] = [
      { negotiation: { pin: '2030-01-01' } },
      { negotiation: 'sometimes' },
      { timeoutMs: -1 },
      { timeoutMs: 1.5 },
      { maxInputRounds: 0 },
      { onSampling: 'yes' },
      { roots: [{ name: 'no uri' }] },
      { capabilities: [] },
      { timeout: 5 },
    ];
    for (const options of bad) {
      expect(() => new McpClient(INFO, options as McpClientOptions), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: ErrorCode.INVALID_OPTION }),
      );
    }
    expect(() => new McpClient({ name: 'x' } as never)).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_OPTION }),
    );
  });
});
