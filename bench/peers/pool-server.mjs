#!/usr/bin/env node
// bench:pool: an MCP server over stdio with a CPU-heavy tool `hash` (SHA-256 over 1 MiB, `rounds` times) and a cheap
// tool `echo`. Mode `inline`: hash runs on the event loop, as a plain handler would; mode `pool`: in a WorkerPool
// (bench/peers/pool-hash.mjs in worker threads).
//   node bench/peers/pool-server.mjs inline|pool
import { McpServer } from '../../dist/server/mcp-server.js';
import { StdioServerTransport } from '../../dist/transport/stdio.js';
import { hash } from './pool-hash.mjs';

const mode = process.argv[2];
if (mode !== 'inline' && mode !== 'pool') {
  process.stderr.write('usage: pool-server.mjs inline|pool\n');
  process.exit(2);
}
const server = new McpServer({ name: `pool-bench-${mode}`, version: '1' });
let close = async () => {};
if (mode === 'inline') {
  server.registerTool('hash', { inputSchema: { type: 'object' } }, (args) => hash(args));
} else {
  const { WorkerPool } = await import('../../dist/pool/worker-pool.js');
  const pool = new WorkerPool();
  server.registerTool(
    'hash',
    { inputSchema: { type: 'object' } },
    pool.handler({ module: new URL('./pool-hash.mjs', import.meta.url), export: 'hash' }),
  );
  close = () => pool.close();
}
server.registerTool('echo', { inputSchema: { type: 'object' } }, (args) => ({
  content: [{ type: 'text', text: String(args.text) }],
}));
await server.connect(new StdioServerTransport());
process.stdin.on('end', () => void close().then(() => server.close()));
