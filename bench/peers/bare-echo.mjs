#!/usr/bin/env node
// The floor of bench:stdio: a bare Node NDJSON server with no MCP library: readline + JSON.parse + JSON.stringify.
// It answers initialize, ping, tools/list and tools/call `echo` with the same result shape as the MCP servers
// ({ content: [{ type: 'text', text }] }), and ignores notifications. Nothing but protocol messages goes to stdout.
import { createInterface } from 'node:readline';

const TOOL = {
  name: 'echo',
  description: 'Returns its text argument',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
};

function answer(msg) {
  switch (msg.method) {
    case 'tools/call':
      return { content: [{ type: 'text', text: msg.params.arguments.text }] };
    case 'initialize':
      return {
        protocolVersion: msg.params?.protocolVersion ?? '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 'bare-echo', version: '1.0.0' },
      };
    case 'ping':
      return {};
    case 'tools/list':
      return { tools: [TOOL] };
    default:
      return undefined;
  }
}

const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
rl.on('line', (line) => {
  if (line.length === 0) return;
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    process.stdout.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } })}\n`,
    );
    return;
  }
  if (msg.id === undefined) return; // a notification
  const result = answer(msg);
  const reply =
    result === undefined
      ? { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: `Method not found: ${msg.method}` } }
      : { jsonrpc: '2.0', id: msg.id, result };
  process.stdout.write(`${JSON.stringify(reply)}\n`);
});
rl.on('close', () => process.exit(0));
