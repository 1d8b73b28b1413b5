#!/usr/bin/env node
// bench:stdio peer: the official TypeScript SDK 1.x (@modelcontextprotocol/sdk, legacy era) serving the same `echo`
// tool as nmcp's everything example, over its own StdioServerTransport. Logs (none) would go to stderr.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'sdk1-echo', version: '1.0.0' });
server.registerTool(
  'echo',
  { description: 'Returns its text argument', inputSchema: { text: z.string() } },
  ({ text }) => ({ content: [{ type: 'text', text }] }),
);
await server.connect(new StdioServerTransport());
