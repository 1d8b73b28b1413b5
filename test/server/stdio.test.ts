import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { McpServer } from '../../src/server/index.js';
import { StdioServerTransport } from '../../src/transport/stdio.js';

let servers: McpServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

/** A server on a real StdioServerTransport (NDJSON framing, batch writer) over in-memory pipes. */
async function stdioServer(options: ConstructorParameters<typeof StdioServerTransport>[0] = {}) {
  const server = new McpServer({ name: 'stdio', version: '1.0.0' });
  servers.push(server);
  server.registerTool(
    'echo',
    { inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } },
    (args) => ({ content: [{ type: 'text', text: args.text as string }] }),
  );
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const lines: string[] = [];
  let buffered = '';
  stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl = buffered.indexOf('\n');
    while (nl !== -1) {
      lines.push(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf('\n');
    }
  });
  await server.connect(new StdioServerTransport({ stdin, stdout, ...options }));
  const waitLines = async (n: number) => {
    const deadline = Date.now() + 2000;
    while (lines.length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} lines, got ${JSON.stringify(lines)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return lines;
  };
  return { server, stdin, lines, waitLines };
}

describe('McpServer over stdio (raw NDJSON lines in, exact lines out)', () => {
  it('serves the legacy handshake and a tool call', async () => {
    const { stdin, waitLines } = await stdioServer();
    stdin.write(
      '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}\n',
    );
    stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    stdin.write('{"jsonrpc":"2.0","id":1,"method":"tools/list"}\n');
    stdin.write('{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}\n');
    const lines = await waitLines(3);
    expect(lines).toEqual([
      '{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-06-18","capabilities":{"logging":{},"tools":{"listChanged":true}},"serverInfo":{"name":"stdio","version":"1.0.0"}}}',
      '{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"echo","inputSchema":{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}}]}}',
      '{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"hi"}]}}',
    ]);
  });

  it('answers garbage, an oversize line and an unknown tool, and keeps serving', async () => {
    const { stdin, waitLines } = await stdioServer({ maxMessageSize: 256 });
    stdin.write(
      '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}}\n',
    );
    stdin.write('this is not json\n');
    stdin.write(`{"jsonrpc":"2.0","id":9,"method":"ping","params":{"pad":"${'x'.repeat(300)}"}}\n`);
    stdin.write('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nope"}}\n');
    stdin.write('{"jsonrpc":"2.0","id":4,"method":"ping"}\n');
    const lines = await waitLines(5);
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed[1]).toMatchObject({ id: null, error: { code: -32700 } });
    expect(parsed[2]).toMatchObject({ id: null, error: { code: -32600 } });
    expect(lines[3]).toBe('{"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"Tool nope not found"}}');
    expect(lines[4]).toBe('{"jsonrpc":"2.0","id":4,"result":{}}');
  });

  it('serves the modern era on the same kind of connection', async () => {
    const { stdin, waitLines } = await stdioServer();
    const meta =
      '"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}';
    stdin.write(`{"jsonrpc":"2.0","id":"d","method":"server/discover","params":{${meta}}}\n`);
    stdin.write(
      `{"jsonrpc":"2.0","id":"c","method":"tools/call","params":{"name":"echo","arguments":{"text":"yo"},${meta}}}\n`,
    );
    const lines = await waitLines(2);
    expect(JSON.parse(lines[0] as string).result).toMatchObject({
      supportedVersions: ['2026-07-28'],
      resultType: 'complete',
    });
    expect(lines[1]).toBe(
      '{"jsonrpc":"2.0","id":"c","result":{"resultType":"complete","_meta":{"io.modelcontextprotocol/serverInfo":{"name":"stdio","version":"1.0.0"}},"content":[{"type":"text","text":"yo"}]}}',
    );
  });
});
