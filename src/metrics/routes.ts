/**
 * The operations endpoints, as routes for any fastify instance — the Streamable HTTP transport's own
 * (`McpHttpServer.addRoutes`) or a separate listener (`listenOperations`, `nmcp serve --metrics-port`):
 *
 * - `GET /metrics`: Prometheus text exposition (NmcpMetrics);
 * - `GET /health`: the checks as JSON, 200 when none fails, 503 when one does;
 * - `GET /ready`: 200 once the server serves and while it does not shed load, else 503;
 * - `GET /live`: 200 while the event loop turns (answering is the proof);
 * - `GET /info`: systemInfo() as JSON.
 */
import type { AnyFastify } from '../transport/http/server/fastify-plugin.js';
import type { HealthChecks } from './health.js';
import type { MemoryMonitor } from './memory-monitor.js';
import type { NmcpMetrics } from './nmcp-metrics.js';
import { type SystemInfoSources, systemInfo } from './system-info.js';

export interface OperationsSources {
  metrics: NmcpMetrics;
  health: HealthChecks;
  memory: MemoryMonitor;
  /** Whether the server is ready to serve (default: always once the routes answer). */
  ready?: () => boolean;
  /** Route tables for /info. */
  registries?: SystemInfoSources['registries'];
  /**
   * The /metrics text, when it is not this process's alone: a server process of `nmcp serve --processes N` answers
   * with the whole cluster's (src/cluster). Default: `metrics.metrics()`.
   */
  metricsText?: () => Promise<string>;
}

type Reply = {
  code(status: number): Reply;
  header(name: string, value: string): Reply;
  send(payload?: string): unknown;
};

const JSON_TYPE = 'application/json; charset=utf-8';

/** Mounts /metrics, /health, /ready, /live and /info on `app`. */
export async function registerOperationsRoutes(app: AnyFastify, sources: OperationsSources): Promise<void> {
  const { metrics, health, memory } = sources;
  app.get('/metrics', async (_req: unknown, reply: Reply) => {
    const text = await (sources.metricsText ?? (() => metrics.metrics()))();
    return reply.code(200).header('content-type', metrics.contentType).send(text);
  });
  app.get('/health', async (_req: unknown, reply: Reply) => {
    const report = health.report();
    return reply
      .code(report.status === 'fail' ? 503 : 200)
      .header('content-type', JSON_TYPE)
      .send(JSON.stringify(report));
  });
  app.get('/ready', async (_req: unknown, reply: Reply) => {
    const ready = (sources.ready?.() ?? true) && !memory.shedding;
    const reason = memory.shedding ? 'shedding load (memory over memoryShedBytes)' : ready ? undefined : 'starting';
    return reply
      .code(ready ? 200 : 503)
      .header('content-type', JSON_TYPE)
      .send(JSON.stringify(ready ? { ready } : { ready, reason }));
  });
  app.get('/live', async (_req: unknown, reply: Reply) =>
    reply.code(200).header('content-type', JSON_TYPE).send('{"live":true}'),
  );
  app.get('/info', async (_req: unknown, reply: Reply) => {
    const info = systemInfo({ metrics, memory, registries: sources.registries ?? [] });
    return reply.code(200).header('content-type', JSON_TYPE).send(JSON.stringify(info));
  });
}

export interface OperationsListener {
  /** http://HOST:PORT */
  readonly url: string;
  close(): Promise<void>;
}

/** A fastify listener of its own for the operations endpoints (loopback unless `host` says otherwise). */
export async function listenOperations(
  sources: OperationsSources,
  options: { port: number; host?: string },
): Promise<OperationsListener> {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  await registerOperationsRoutes(app as unknown as AnyFastify, sources);
  const url = await app.listen({ port: options.port, host: options.host ?? '127.0.0.1' });
  return { url, close: () => app.close() };
}
