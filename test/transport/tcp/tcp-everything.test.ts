import { describe, expect, it } from 'vitest';
import { createEverythingServer } from '../../../examples/everything/server.js';
import { McpTcpServer } from '../../../src/transport/tcp/server.js';
import { connectClient, text } from './helpers.js';

const onSampling = async () => ({
  role: 'assistant' as const,
  content: { type: 'text' as const, text: 'sampled' },
  model: 'm',
});

describe('the everything example over TCP', () => {
  for (const framing of ['length-prefixed', 'ndjson'] as const) {
    for (const negotiation of ['legacy', 'auto'] as const) {
      it(`${framing}, negotiation ${negotiation}: progress, sampling, resources, prompts`, async () => {
        const tcp = new McpTcpServer(createEverythingServer(), { framing });
        const { port } = (await tcp.listen({ port: 0 })) as { port: number };
        const { client } = await connectClient({ port, framing }, { negotiation, onSampling });
        try {
          expect(client.era).toBe(negotiation === 'legacy' ? 'legacy' : 'modern');
          const progress: number[] = [];
          const done = await client.callTool(
            { name: 'long_running_operation', arguments: { steps: 3, delayMs: 1 } },
            { onProgress: (p) => progress.push(p.progress) },
          );
          expect(text(done)).toBe('completed 3 steps');
          expect(progress).toEqual([1, 2, 3]);
          expect(text(await client.callTool({ name: 'sample', arguments: { prompt: 'hi' } }))).toBe('sampled');
          const resources = await client.listResources();
          expect(resources.length).toBeGreaterThan(0);
          const read = await client.readResource({ uri: (resources[0] as { uri: string }).uri });
          expect(read.contents.length).toBeGreaterThan(0);
          expect((await client.listPrompts()).length).toBeGreaterThan(0);
        } finally {
          await client.close();
          await tcp.close();
        }
      });
    }
  }
});
