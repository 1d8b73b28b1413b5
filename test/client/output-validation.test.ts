// Client-side outputSchema checks (what the official SDK clients do) against a scripted server that lies about its
// structured output — nmcp's own server validates its output, so it cannot be the liar.
import { describe, expect, it } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import type { McpClientOptions } from '../../src/client/types.js';
import { ErrorCode } from '../../src/errors.js';
import type { JsonObject } from '../../src/protocol/jsonrpc.js';
import { JsonRpcSession } from '../../src/session/session.js';
import { memoryPair } from './helpers.js';

const OUTPUT = { type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] };
const TOOLS = [
  { name: 'add', inputSchema: { type: 'object' }, outputSchema: OUTPUT },
  { name: 'plain', inputSchema: { type: 'object' } },
  {
    name: 'weird',
    inputSchema: { type: 'object' },
    outputSchema: { type: 'object', properties: { x: { $ref: '#/nope' } } },
  },
];
/** What the scripted server answers to tools/call, by the `mode` argument. */
const RESULTS: Record<string, JsonObject> = {
  good: { content: [{ type: 'text', text: '3' }], structuredContent: { sum: 3 } },
  wrongType: { content: [{ type: 'text', text: 'three' }], structuredContent: { sum: 'three' } },
  missing: { content: [{ type: 'text', text: '3' }] },
  toolError: { content: [{ type: 'text', text: 'boom' }], isError: true },
};

async function connect(options: McpClientOptions = {}) {
  const pair = memoryPair();
  const server = new JsonRpcSession(pair.server);
  server.requestHandlers.set('initialize', (params) => ({
    protocolVersion: params.protocolVersion,
    capabilities: { tools: {} },
    serverInfo: { name: 'liar', version: '1' },
  }));
  server.requestHandlers.set('tools/list', () => ({ tools: TOOLS }));
  server.requestHandlers.set('tools/call', (params) => RESULTS[(params.arguments as { mode: string }).mode] ?? {});
  await server.start();
  const client = new McpClient({ name: 't', version: '1' }, { negotiation: 'legacy', ...options });
  await client.connect(pair.client);
  return client;
}

describe('McpClient checks tool results against the listed outputSchema', () => {
  it('rejects missing or mismatching structuredContent with NMCP_ERR_INVALID_RESULT; accepts good and isError results', async () => {
    const client = await connect();
    // Before a listTools() nothing is known, so nothing is checked.
    await expect(client.callTool({ name: 'add', arguments: { mode: 'wrongType' } })).resolves.toMatchObject({
      structuredContent: { sum: 'three' },
    });
    await client.listTools();
    await expect(client.callTool({ name: 'add', arguments: { mode: 'good' } })).resolves.toMatchObject({
      structuredContent: { sum: 3 },
    });
    await expect(client.callTool({ name: 'add', arguments: { mode: 'wrongType' } })).rejects.toMatchObject({
      code: ErrorCode.INVALID_RESULT,
      message: expect.stringMatching(/tool add returned structuredContent that does not match its outputSchema: .*sum/),
    });
    await expect(client.callTool({ name: 'add', arguments: { mode: 'missing' } })).rejects.toMatchObject({
      code: ErrorCode.INVALID_RESULT,
      message: 'tool add declares an outputSchema but its result has no structuredContent',
    });
    await expect(client.callTool({ name: 'add', arguments: { mode: 'toolError' } })).resolves.toMatchObject({
      isError: true,
    });
    // A tool without an outputSchema, and one whose schema does not compile, are taken as they come.
    await expect(client.callTool({ name: 'plain', arguments: { mode: 'missing' } })).resolves.toBeDefined();
    await expect(client.callTool({ name: 'weird', arguments: { mode: 'missing' } })).resolves.toBeDefined();
    await client.close();
  });

  it('validateToolOutput: false takes results as they come; a non-boolean is refused', async () => {
    const client = await connect({ validateToolOutput: false });
    await client.listTools();
    await expect(client.callTool({ name: 'add', arguments: { mode: 'wrongType' } })).resolves.toBeDefined();
    await client.close();
    expect(
      () => new McpClient({ name: 't', version: '1' }, { validateToolOutput: 'yes' as unknown as boolean }),
    ).toThrow(/validateToolOutput/);
  });
});
