/** McpGateway's option checks (NMCP_ERR_INVALID_OPTION naming the key) and ToolConfig.passthrough. */
import { describe, expect, it } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import { DEFAULT_GATEWAY_OPTIONS, McpGateway, type McpGatewayOptions } from '../../src/gateway/index.js';
import { backoffDelay, resolveGatewayOptions } from '../../src/gateway/options.js';
import { McpError, RpcCode } from '../../src/protocol/jsonrpc.js';
import { McpServer } from '../../src/server/mcp-server.js';
import { MemoryTransport } from '../../src/transport/memory.js';

const tcp = (name: string) => ({ name, tcp: { port: 7001 } });

describe('McpGateway options', () => {
  it('fills the documented defaults', () => {
    const o = resolveGatewayOptions({ upstreams: [tcp('a')] });
    expect(o).toMatchObject({
      separator: '__',
      requestTimeoutMs: 30_000,
      breaker: { failureThreshold: 5, openDurationMs: 30_000 },
      reconnect: { initialDelayMs: 100, maxDelayMs: 10_000 },
    });
    expect(DEFAULT_GATEWAY_OPTIONS.breaker.failureThreshold).toBe(5);
  });

  it.each<[string, unknown, string]>([
    ['no upstreams', { upstreams: [] }, 'upstreams'],
    ['bad name', { upstreams: [{ name: 'Bad', tcp: { port: 1 } }] }, 'upstreams[0].name'],
    ['duplicate', { upstreams: [tcp('a'), tcp('a')] }, 'upstreams[1].name'],
    ['no transport', { upstreams: [{ name: 'a' }] }, 'upstreams[0]'],
    ['two transports', { upstreams: [{ name: 'a', tcp: { port: 1 }, http: { url: 'http://x' } }] }, 'upstreams[0]'],
    ['bad port', { upstreams: [{ name: 'a', tcp: { port: 0 } }] }, 'upstreams[0].tcp.port'],
    ['stdio without command', { upstreams: [{ name: 'a', stdio: {} }] }, 'upstreams[0].stdio.command'],
    ['bad url', { upstreams: [{ name: 'a', http: { url: 'nope' } }] }, 'upstreams[0].http.url'],
    ['unknown upstream key', { upstreams: [{ name: 'a', tcp: { port: 1, tls: true } }] }, 'upstreams[0].tcp.tls'],
    ['unknown key', { upstreams: [tcp('a')], retries: 3 }, 'options.retries'],
    ['separator', { upstreams: [tcp('a')], separator: '' }, 'separator'],
    ['timeout', { upstreams: [tcp('a')], requestTimeoutMs: -1 }, 'requestTimeoutMs'],
    ['breaker', { upstreams: [tcp('a')], breaker: { failureThreshold: 0 } }, 'breaker.failureThreshold'],
    [
      'reconnect',
      { upstreams: [tcp('a')], reconnect: { initialDelayMs: 500, maxDelayMs: 100 } },
      'reconnect.maxDelayMs',
    ],
  ])('%s → NMCP_ERR_INVALID_OPTION naming %s', (_case, options, key) => {
    expect(() => new McpGateway(options as McpGatewayOptions)).toThrow(
      expect.objectContaining({ code: 'NMCP_ERR_INVALID_OPTION', details: expect.objectContaining({ key }) }),
    );
  });

  it('backoff: full jitter below min(max, initial · 2^attempt)', () => {
    const policy = { initialDelayMs: 100, maxDelayMs: 1000 };
    for (let attempt = 0; attempt < 10; attempt++) {
      const d = backoffDelay(policy, attempt);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(Math.min(1000, 100 * 2 ** attempt));
    }
  });
});

describe('ToolConfig.passthrough', () => {
  it('lists the schemas as given, does not validate, sends results as they are and McpErrors as errors', async () => {
    const server = new McpServer({ name: 's', version: '0' });
    const inputSchema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], 'x-vendor': 1 };
    const outputSchema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    server.registerTool('p', { inputSchema, outputSchema, passthrough: true }, (args) => {
      if (args.fail) throw new McpError(RpcCode.INTERNAL_ERROR, 'upstream x is unavailable: gone');
      return { content: [{ type: 'text', text: JSON.stringify(args) }] };
    });
    const [a, b] = MemoryTransport.pair();
    await server.connect(b);
    const client = new McpClient({ name: 'c', version: '0' }, { negotiation: 'legacy', validateToolOutput: false });
    await client.connect(a);
    const [listed] = await client.listTools();
    expect(listed).toMatchObject({ name: 'p', inputSchema, outputSchema });
    // Not validated here (n is missing), no structuredContent required by the output schema.
    const r = await client.callTool({ name: 'p', arguments: { m: 'x' } });
    expect(r.isError).toBeUndefined();
    expect(r.content).toEqual([{ type: 'text', text: '{"m":"x"}' }]);
    await expect(client.callTool({ name: 'p', arguments: { fail: true } })).rejects.toMatchObject({
      code: -32603,
      message: 'upstream x is unavailable: gone',
    });
    await client.close();
    await server.close();
  });
});
