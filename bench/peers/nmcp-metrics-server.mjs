#!/usr/bin/env node
// bench:metrics: the everything example over stdio, with nmcp's metrics off or on. On: NmcpMetrics observes the
// server (every message counted, every reply's duration bucketed, transport bytes and batches kept), the operations
// endpoints listen on a port of their own, and /metrics is scraped every second while the load runs — what a
// Prometheus server would do, at a tighter interval than its usual 15 s.
//   node bench/peers/nmcp-metrics-server.mjs on|off
import { loadExample } from '../../dist/cli/examples.js';
import { Operations } from '../../dist/metrics/operations.js';
import { StdioServerTransport } from '../../dist/transport/stdio.js';

const mode = process.argv[2];
if (mode !== 'on' && mode !== 'off') {
  process.stderr.write('usage: nmcp-metrics-server.mjs on|off\n');
  process.exit(2);
}
const server = (await loadExample('everything'))({});
const transport = new StdioServerTransport();
let stop = async () => {};
if (mode === 'on') {
  const ops = new Operations({
    server,
    config: {
      metrics: { enableMetrics: true, metricsIntervalMs: 5_000, port: 0 },
      memory: { memoryCheckIntervalMs: 1_000, memoryWarningBytes: 1024 ** 3, memoryShedBytes: 0 },
    },
    log: (_level, message) => process.stderr.write(`${message}\n`),
  });
  // A listener of its own on a free port: metrics.port 0 means "none" in the config, so bind it here directly.
  const { listenOperations } = await import('../../dist/metrics/routes.js');
  await ops.start();
  const listener = await listenOperations(
    { metrics: ops.metrics, health: ops.health, memory: ops.memory },
    { port: 0 },
  );
  const scrape = setInterval(() => {
    fetch(`${listener.url}/metrics`)
      .then((r) => r.text())
      .catch(() => {});
  }, 1_000);
  stop = async () => {
    clearInterval(scrape);
    await listener.close();
    await ops.close();
  };
}
await server.connect(transport);
process.stdin.on('end', () => {
  void stop().then(() => server.close());
});
