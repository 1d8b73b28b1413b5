/**
 * A bench-only example: a server with 1,000 tools, for the `tools-list-1000` workload of `nmcp bench` (what a large
 * tool catalogue costs to list). Each tool has a description and a small JSON Schema, as real tools do, so the
 * answer (~250 KB) is representative rather than a list of bare names. The list fits one page (the server's default
 * pageSize is 1,000), so one tools/list is one round trip.
 *
 *   nmcp serve --stdio --example many-tools
 */
import { McpServer } from 'nmcp';

export const MANY_TOOLS_COUNT = 1000;

export function createManyToolsServer(): McpServer {
  const server = new McpServer({ name: 'nmcp-many-tools', version: '1.0.0' });
  for (let i = 0; i < MANY_TOOLS_COUNT; i++) {
    const name = `tool-${String(i).padStart(4, '0')}`;
    server.registerTool(
      name,
      {
        description: `Tool number ${i} of ${MANY_TOOLS_COUNT}: returns its query and limit, to exercise a large tool list`,
        inputSchema: {
          type: 'object',
          properties: {
            query: { type: 'string', description: 'What to look for' },
            limit: { type: 'integer', minimum: 1, maximum: 100, description: 'How many results at most' },
          },
          required: ['query'],
        },
      },
      (args) => ({ content: [{ type: 'text', text: `${name}: ${String(args.query)} (${String(args.limit ?? 10)})` }] }),
    );
  }
  return server;
}
