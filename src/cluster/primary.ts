/**
 * The primary of `nmcp serve --tcp/--unix/--http … --processes N`: it serves no MCP itself. It forks N server processes
 * (node:cluster: they run the same `nmcp serve` command line and share its listening socket; Linux hands each new
 * connection to the next process in turn), says where they listen once all do, restarts one that dies, forwards the
 * signals a service manager sends (SIGHUP: reload the config; SIGUSR2: profiles) and on SIGINT/SIGTERM asks each to
 * close its sessions and waits for them. With operations endpoints it serves /metrics aggregated over the processes
 * (prom-client's AggregatorRegistry), and /health, /ready, /live, /info for the whole cluster, on metrics.port.
 *
 * Node 20 has no SO_REUSEPORT option (net's reusePort came in Node 22.12), so the kernel cannot spread the
 * connections itself: node:cluster's round-robin in the primary does, per connection, never per message.
 */
import cluster, { type Worker } from 'node:cluster';
import { Channel, isClusterMessage } from './ipc.js';
import { sessionSocketPath } from './session-affinity.js';

/** Set in a server process's environment: `index:primaryPid`. */
export const PROCESS_ENV = 'NMCP_SERVE_PROCESS';

/** A process that lived less than this was a crash at start or a crash loop: its restart waits, doubling each time. */
const QUICK_DEATH_MS = 5_000;
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;
/** How long SIGINT/SIGTERM waits for the processes to close their sessions before killing them. */
const STOP_GRACE_MS = 10_000;

export interface PrimaryOptions {
  processes: number;
  kind: 'tcp' | 'unix' | 'http';
  /** Whether the processes run the operations endpoints (their metrics are then aggregated here). */
  metrics: { served: boolean; port: number; host: string };
  /** Writes one line on stderr (prefixed by the caller). */
  log: (line: string) => void;
}

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  channel: Channel | undefined;
  listening: boolean;
  startedAt: number;
  quickDeaths: number;
  restarts: number;
}

/** The cluster's state, for the operations endpoints. */
export interface ClusterView {
  readonly processes: number;
  slots(): readonly { index: number; pid: number | undefined; listening: boolean; restarts: number }[];
  ask(index: number, what: string): Promise<unknown>;
}

/** Runs the cluster until SIGINT/SIGTERM (exit 0) or until a process fails before the cluster listens (exit 1). */
export async function runPrimary(options: PrimaryOptions): Promise<number> {
  const { processes, log } = options;
  const slots: Slot[] = [];
  let stopping = false;
  let announced = false;
  let where = '';
  let settle!: (code: number) => void;
  const done = new Promise<number>((resolve) => {
    settle = resolve;
  });

  const fork = (slot: Slot) => {
    const worker = cluster.fork({ [PROCESS_ENV]: `${slot.index}:${process.pid}` });
    slot.worker = worker;
    slot.listening = false;
    slot.startedAt = Date.now();
    const channel = new Channel((message) => worker.send(message), {
      metrics: () => aggregated?.clusterMetrics(),
    });
    slot.channel = channel;
    // A send to a process that just died fails with an 'error' event (ERR_IPC_CHANNEL_CLOSED): its 'exit' follows,
    // and that is where it is handled.
    worker.on('error', () => {});
    worker.on('message', (message: unknown, handle: unknown) => {
      if (!isClusterMessage(message)) return;
      if (message.nmcp === 'handoff') {
        // A connection on its way to the process owning its session. The owner is gone or restarting: back to the
        // sender, which answers its requests 404 (the session died with its process).
        const owner = slots[message.to - 1];
        const to = owner?.worker?.isConnected() && owner.listening ? owner.worker : worker;
        const socket = handle as import('node:net').Socket | undefined;
        // keepOpen, then destroy once sent: the primary's copy must end with a 'close' event, which tells the sending
        // process (node's socket list for handles it sent) that the socket is gone here; its server's close() waits
        // for that. keepOpen: false would close the handle without the event, and the sender would never close.
        if (to.isConnected()) to.send(message, socket, { keepOpen: true }, () => socket?.destroy());
        else socket?.destroy();
        return;
      }
      if (message.nmcp === 'listening') {
        slot.listening = true;
        const moved = announced && message.where !== where;
        where = message.where;
        if (announced) {
          // node:cluster releases the port when no process holds it any more: with port 0 the next one picks anew.
          log(
            `process ${slot.index} restarted (pid ${worker.process.pid}), listening again${moved ? ` on ${where} (every process had died; port 0 picked a new port)` : ''}`,
          );
        } else if (slots.every((s) => s.listening)) {
          announced = true;
          const pids = slots.map((s) => s.worker?.process.pid).join(', ');
          log(`listening on ${where} — ${processes} processes (pids ${pids})`);
          void announceOperations();
        }
        return;
      }
      channel.receive(message);
    });
    worker.on('exit', (code, signal) => {
      channel.close(`process ${slot.index} exited`);
      if (slot.worker === worker) slot.worker = undefined;
      slot.listening = false;
      if (stopping) return;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (!announced) {
        // It failed to start (a port in use, a bad option): so will every other. Its own stderr said why.
        log(`process ${slot.index} (pid ${worker.process.pid}) exited (${how}) before listening; stopping`);
        void stop(1);
        return;
      }
      const lived = Date.now() - slot.startedAt;
      slot.quickDeaths = lived < QUICK_DEATH_MS ? slot.quickDeaths + 1 : 0;
      const delay = slot.quickDeaths === 0 ? 0 : Math.min(FIRST_DELAY_MS * 2 ** (slot.quickDeaths - 1), MAX_DELAY_MS);
      log(
        `process ${slot.index} (pid ${worker.process.pid}) exited (${how}); its connections and sessions are closed; restarting it${delay > 0 ? ` in ${delay} ms` : ''}`,
      );
      slot.restarts++;
      // Not unref'd: when every process is dead at once, this timer is what keeps the primary alive to restart them.
      setTimeout(() => {
        if (!stopping) fork(slot);
      }, delay);
    });
  };

  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.off('SIGINT', onStop);
    process.off('SIGTERM', onStop);
    const alive = slots.map((s) => s.worker).filter((w): w is Worker => w !== undefined && !w.isDead());
    const exited = alive.map(
      (w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))),
    );
    for (const w of alive) {
      // A closed channel: it is exiting anyway.
      if (w.isConnected()) w.send({ nmcp: 'stop' });
    }
    const kill = setTimeout(() => {
      for (const w of alive) if (!w.isDead()) w.process.kill('SIGKILL');
    }, STOP_GRACE_MS);
    await Promise.all(exited);
    clearTimeout(kill);
    await operations?.close();
    settle(code);
  };
  const onStop = () => {
    log('closing');
    void stop(0);
  };
  // The processes handle SIGHUP (config reload) and SIGUSR2 (profiles) themselves: a service manager signals the pid
  // it started, this one. SIGINT from a terminal reaches every process of the group: the processes ignore it and
  // wait for the primary's stop, so that a session is never cut by a second signal.
  const forward = (signal: NodeJS.Signals) => () => {
    for (const slot of slots) slot.worker?.process.kill(signal);
  };
  const onHup = forward('SIGHUP');
  const onUsr2 = forward('SIGUSR2');
  process.on('SIGINT', onStop);
  process.on('SIGTERM', onStop);
  process.on('SIGHUP', onHup);
  process.on('SIGUSR2', onUsr2);

  // prom-client only when the processes publish metrics: its AggregatorRegistry asks each of them on every scrape.
  let aggregated: import('prom-client').AggregatorRegistry<import('prom-client').PrometheusContentType> | undefined;
  let operations: { close(): Promise<void> } | undefined;
  if (options.metrics.served) {
    const { AggregatorRegistry } = await import('prom-client');
    aggregated = new AggregatorRegistry();
  }
  const view: ClusterView = {
    processes,
    slots: () =>
      slots.map((s) => ({
        index: s.index,
        pid: s.worker?.process.pid,
        listening: s.listening,
        restarts: s.restarts,
      })),
    ask: (index, what) => {
      const channel = slots[index - 1]?.channel;
      if (channel === undefined || slots[index - 1]?.worker === undefined) {
        return Promise.reject(new Error(`process ${index} is not running`));
      }
      return channel.ask(what);
    },
  };
  const announceOperations = async () => {
    if (aggregated === undefined || stopping) return;
    if (options.kind === 'http') {
      // Every process serves them on the MCP port too (its /metrics answers for the whole cluster).
      const url = where.split(' ')[0] as string;
      log(`operations on ${new URL(url).origin}/metrics (all ${processes} processes)`);
    }
    if (options.metrics.port === 0) return;
    try {
      const { listenClusterOperations } = await import('./operations.js');
      const listener = await listenClusterOperations(view, aggregated, options.metrics);
      operations = listener;
      log(`operations on ${listener.url}/metrics (all ${processes} processes)`);
    } catch (err) {
      log(`could not serve the operations endpoints on port ${options.metrics.port}: ${(err as Error).message}`);
      void stop(1);
    }
  };

  for (let index = 1; index <= processes; index++) {
    const slot: Slot = {
      index,
      worker: undefined,
      channel: undefined,
      listening: false,
      startedAt: 0,
      quickDeaths: 0,
      restarts: 0,
    };
    slots.push(slot);
    fork(slot);
  }
  const code = await done;
  process.off('SIGHUP', onHup);
  process.off('SIGUSR2', onUsr2);
  // Sockets of processes that were killed and not restarted (closing ones remove their own).
  const { rmSync } = await import('node:fs');
  for (const slot of slots) rmSync(sessionSocketPath(process.pid, slot.index), { force: true });
  return code;
}
