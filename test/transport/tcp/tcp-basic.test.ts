import { describe, expect, it } from 'vitest';
import { connectClient, listenTcp, text } from './helpers.js';

describe('TCP transport: server and client', () => {
  for (const framing of ['length-prefixed', 'ndjson'] as const) {
    it(`serves McpClient over TCP with ${framing} framing`, async () => {
      const { tcp, address } = await listenTcp({ framing });
      const { port } = address as { port: number };
      const { client, transport } = await connectClient({ port, framing });
      try {
        expect(client.serverInfo?.name).toBe('tcp-test');
        const tools = await client.listTools();
        expect(tools.map((t) => t.name).sort()).toEqual(['echo', 'wait']);
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => client.callTool({ name: 'echo', arguments: { text: `m${i}` } })),
        );
        expect(results.map(text)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
        expect(transport.kind).toBe('tcp');
        expect(tcp.stats).toEqual({ active: 1, accepted: 1, refused: 0 });
      } finally {
        await client.close();
        await tcp.close();
      }
    });
  }
});
