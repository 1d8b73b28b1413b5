#!/usr/bin/env node
// bench:gateway peer: a gateway built the obvious way on the official TypeScript SDK 1.x — an SDK Client to the
// upstream (spawned over stdio: the command after `--`) and an SDK Server on this process's stdio whose tools are the
// upstream's, namespaced `up__<name>`; each call is parsed, forwarded with client.callTool and re-serialized.
//   node bench/peers/sdk1-gateway.mjs -- node dist/cli/main.js serve --stdio --example everything
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const sep = process.argv.indexOf('--');
const [command, ...args] = process.argv.slice(sep + 1);
const client = new Client({ name: 'sdk1-gateway', version: '1.0.0' });
await client.connect(new StdioClientTransport({ command, args, stderr: 'inherit' }));
const { tools } = await client.listTools();

const server = new Server({ name: 'sdk1-gateway', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: tools.map((t) => ({ ...t, name: `up__${t.name}` })),
}));
server.setRequestHandler(CallToolRequestSchema, async (request) => {
  const name = request.params.name.replace(/^up__/, '');
  return client.callTool({ name, arguments: request.params.arguments });
});
await server.connect(new StdioServerTransport());
