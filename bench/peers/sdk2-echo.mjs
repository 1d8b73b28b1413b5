#!/usr/bin/env node
// bench:stdio peer: the official TypeScript SDK 2.x (@modelcontextprotocol/server, both eras) serving the same `echo`
// tool as nmcp's everything example, over its own StdioServerTransport.
import { McpServer } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

const server = new McpServer({ name: 'sdk2-echo', version: '1.0.0' });
server.registerTool(
  'echo',
  { description: 'Returns its text argument', inputSchema: z.object({ text: z.string() }) },
  ({ text }) => ({ content: [{ type: 'text', text }] }),
);
await server.connect(new StdioServerTransport());
