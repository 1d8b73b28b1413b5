#!/usr/bin/env node
// bench:gateway: nmcp's gateway data plane — an McpClient to the upstream (spawned over stdio: the command after
// `--`) shares its connection with a Forwarder, and an McpServer on this process's stdio answers the control plane
// (initialize, lists); `up__<name>` calls are forwarded as bytes, never parsed (src/gateway/forwarder.ts).
//   node bench/peers/nmcp-gateway.mjs -- node dist/cli/main.js serve --stdio --example everything
import { McpClient } from '../../dist/client/mcp-client.js';
import { Forwarder } from '../../dist/gateway/forwarder.js';
import { McpServer } from '../../dist/server/mcp-server.js';
import { StdioClientTransport } from '../../dist/transport/child-process.js';
import { StdioServerTransport } from '../../dist/transport/stdio.js';

const sep = process.argv.indexOf('--');
const [command, ...args] = process.argv.slice(sep + 1);
const upstream = new StdioClientTransport({ command, args, stderr: 'inherit' });
const client = new McpClient({ name: 'nmcp-gateway', version: '1.0.0' }, { negotiation: 'legacy' });
await client.connect(upstream);
const forwarder = new Forwarder();
// As McpGateway does: a deadline per forwarded request (its default requestTimeoutMs).
forwarder.addUpstream('up', upstream, { timeoutMs: 30_000 });

const server = new McpServer({ name: 'nmcp-gateway', version: '1.0.0' });
const downstream = new StdioServerTransport();
forwarder.attach(downstream);
await server.connect(downstream);
// The load generator ends stdin when done: close the upstream too, so this process exits (and writes --cpu-prof).
process.stdin.on('end', () => void client.close());
