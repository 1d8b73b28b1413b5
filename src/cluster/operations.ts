/**
 * The operations endpoints of a cluster (`nmcp serve --processes N --metrics-port PORT`), served by the primary:
 *
 * - `GET /metrics`: every process's metrics merged by prom-client's AggregatorRegistry (counters and gauges summed,
 *   nmcp_event_loop_utilization averaged, nmcp_core_info taken once);
 * - `GET /health`: each process's own report and the cluster's status: fail when a process is down or restarting, does
 *   not answer within 2 s, or fails a check of its own; warn when one warns;
 * - `GET /ready`: 200 when every process listens and is ready (not shedding load), else 503 naming the first that is not;
 * - `GET /live`: 200 while the primary's event loop turns;
 * - `GET /info`: each process's systemInfo().
 */
import type { AggregatorRegistry, PrometheusContentType } from 'prom-client';
import type { HealthReport } from '../metrics/health.js';
import type { ClusterView } from './primary.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const ASK_TIMEOUT_MS = 2_000;

type Reply = {
  code(status: number): Reply;
  header(name: string, value: string): Reply;
  send(payload?: string): unknown;
};

interface ProcessHealth {
  index: number;
  pid: number | undefined;
  restarts: number;
  status: HealthReport['status'];
  detail?: string;
  report?: HealthReport;
}

async function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ASK_TIMEOUT_MS} ms`)), ASK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Each process's health, asked in parallel. */
async function clusterHealth(
  view: ClusterView,
): Promise<{ status: HealthReport['status']; processes: ProcessHealth[] }> {
  const processes = await Promise.all(
    view.slots().map(async (slot): Promise<ProcessHealth> => {
      const base = { index: slot.index, pid: slot.pid, restarts: slot.restarts };
      if (!slot.listening) return { ...base, status: 'fail', detail: 'not listening (starting or restarting)' };
      try {
        const report = (await withTimeout(view.ask(slot.index, 'health'))) as HealthReport;
        return { ...base, status: report.status, report };
      } catch (err) {
        return { ...base, status: 'fail', detail: (err as Error).message };
      }
    }),
  );
  const status = processes.some((p) => p.status === 'fail')
    ? 'fail'
    : processes.some((p) => p.status === 'warn')
      ? 'warn'
      : 'ok';
  return { status, processes };
}

export async function listenClusterOperations(
  view: ClusterView,
  aggregated: AggregatorRegistry<PrometheusContentType>,
  options: { port: number; host: string },
): Promise<{ url: string; close(): Promise<void> }> {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  app.get('/metrics', async (_req: unknown, reply: Reply) => {
    try {
      const text = await aggregated.clusterMetrics();
      return reply.code(200).header('content-type', aggregated.contentType).send(text);
    } catch (err) {
      // A process that is restarting does not answer: say so rather than publish a partial sum.
      return reply
        .code(503)
        .header('content-type', 'text/plain; charset=utf-8')
        .send(`metrics unavailable: ${(err as Error).message}\n`);
    }
  });
  app.get('/health', async (_req: unknown, reply: Reply) => {
    const health = await clusterHealth(view);
    return reply
      .code(health.status === 'fail' ? 503 : 200)
      .header('content-type', JSON_TYPE)
      .send(JSON.stringify(health));
  });
  app.get('/ready', async (_req: unknown, reply: Reply) => {
    let reason: string | undefined;
    for (const slot of view.slots()) {
      if (!slot.listening) {
        reason = `process ${slot.index} is not listening (starting or restarting)`;
        break;
      }
      const ready = await withTimeout(view.ask(slot.index, 'ready')).catch(() => false);
      if (ready !== true) {
        reason = `process ${slot.index} is not ready`;
        break;
      }
    }
    return reply
      .code(reason === undefined ? 200 : 503)
      .header('content-type', JSON_TYPE)
      .send(JSON.stringify(reason === undefined ? { ready: true } : { ready: false, reason }));
  });
  app.get('/live', async (_req: unknown, reply: Reply) =>
    reply.code(200).header('content-type', JSON_TYPE).send('{"live":true}'),
  );
  app.get('/info', async (_req: unknown, reply: Reply) => {
    const processes = await Promise.all(
      view.slots().map(async (slot) => ({
        index: slot.index,
        pid: slot.pid,
        restarts: slot.restarts,
        info: slot.listening ? await withTimeout(view.ask(slot.index, 'info')).catch(() => null) : null,
      })),
    );
    return reply
      .code(200)
      .header('content-type', JSON_TYPE)
      .send(JSON.stringify({ processes: view.processes, primaryPid: process.pid, cluster: processes }));
  });
  const url = await app.listen({ port: options.port, host: options.host });
  return { url, close: () => app.close() };
}
