#!/usr/bin/env node
// A deliberately slowable nmcp stdio echo, for testing the regression gate (test/bench/regression.test.ts): the same
// `echo` tool as the everything example, served by the built nmcp (dist/), with a busy-wait of NMCP_BENCH_BUSY_US
// microseconds per call (default 0). It stands in for "a slowed build" without touching nmcp's product code: the gate
// must flag the ratio to the bare floor falling when the knob is turned up.
import { McpServer, StdioServerTransport } from '../../dist/index.js';

const busyUs = Number(process.env.NMCP_BENCH_BUSY_US ?? 0);
if (!Number.isFinite(busyUs) || busyUs < 0) {
  process.stderr.write(`NMCP_BENCH_BUSY_US must be a number ≥ 0 (got ${process.env.NMCP_BENCH_BUSY_US})\n`);
  process.exit(2);
}

function spin(us) {
  if (us === 0) return;
  const until = process.hrtime.bigint() + BigInt(Math.round(us * 1000));
  while (process.hrtime.bigint() < until) {
    // burning CPU on purpose: a sleep would not cost throughput on a pipelined connection
  }
}

const server = new McpServer({ name: 'nmcp-busy-echo', version: '1.0.0' });
server.registerTool(
  'echo',
  {
    description: 'Returns its text argument (after a busy-wait of NMCP_BENCH_BUSY_US µs)',
    inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  },
  (args) => {
    spin(busyUs);
    return { content: [{ type: 'text', text: args.text }] };
  },
);
await server.connect(new StdioServerTransport());
