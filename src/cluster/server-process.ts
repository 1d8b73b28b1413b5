/**
 * A server process of `nmcp serve --processes N` (the primary is src/cluster/primary.ts): its number, the IPC link to
 * the primary — `listening` once it serves, `stop` when the primary says so, questions both ways (the primary asks
 * for health, readiness and info; the process asks for the cluster's aggregated metrics, which its /metrics on the MCP
 * port answers with) — and the session routing of its HTTP server.
 */
import cluster from 'node:cluster';
import type { Socket } from 'node:net';
import { Channel, type ClusterMessage, isClusterMessage } from './ipc.js';
import { PROCESS_ENV } from './primary.js';
import type { ConnectionHandoff } from './session-affinity.js';

export interface ServerProcessInfo {
  /** 1 … N. */
  readonly index: number;
  readonly primaryPid: number;
}

/** This process's place in the cluster, or undefined when it is not a cluster's server process. */
export function serverProcess(env: NodeJS.ProcessEnv = process.env): ServerProcessInfo | undefined {
  if (!cluster.isWorker) return undefined;
  const m = /^(\d+):(\d+)$/.exec(env[PROCESS_ENV] ?? '');
  if (m === null) return undefined;
  return { index: Number(m[1]), primaryPid: Number(m[2]) };
}

export type ProcessAnswers = {
  health?: () => unknown;
  ready?: () => boolean;
  info?: () => unknown;
};

/** The process's end of the IPC channel. */
export class PrimaryLink {
  readonly info: ServerProcessInfo;
  /** Resolves when the primary says stop, or when it is gone (the channel closed). */
  readonly stopped: Promise<void>;
  readonly #channel: Channel;
  #answers: ProcessAnswers = {};
  #receive: ((head: Buffer, socket: Socket) => void) | undefined;

  constructor(info: ServerProcessInfo) {
    this.info = info;
    const send = (message: ClusterMessage) => {
      process.send?.(message);
    };
    this.#channel = new Channel(send, {
      health: () => this.#answers.health?.() ?? { status: 'ok', checks: {} },
      ready: () => this.#answers.ready?.() ?? true,
      info: () => this.#answers.info?.() ?? null,
    });
    let stop!: () => void;
    this.stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    process.on('message', (message: unknown, handle: unknown) => {
      if (!isClusterMessage(message)) return;
      if (message.nmcp === 'stop') stop();
      else if (message.nmcp === 'handoff') this.#adopt(message.head, handle as Socket | undefined);
      else this.#channel.receive(message);
    });
    process.once('disconnect', () => {
      this.#channel.close('the primary is gone');
      stop();
    });
  }

  /** Connections moved between processes (session-affinity.ts), through the primary. */
  readonly handoff: ConnectionHandoff = {
    send: (owner, head, socket) => {
      const message: ClusterMessage = { nmcp: 'handoff', to: owner, head: head.toString('base64') };
      // keepOpen false: once the handle is sent, this process's copy of the socket is closed.
      process.send?.(message, socket, { keepOpen: false }, (err: Error | null) => {
        if (err) socket.destroy();
      });
    },
    onReceive: (receive) => {
      this.#receive = receive;
    },
  };

  #adopt(head: string, socket: Socket | undefined): void {
    if (socket === undefined) return;
    if (this.#receive === undefined) {
      socket.destroy();
      return;
    }
    this.#receive(Buffer.from(head, 'base64'), socket);
  }

  /** What this process answers the primary's questions with (set once its operations exist). */
  answer(answers: ProcessAnswers): void {
    this.#answers = answers;
  }

  /** Tells the primary this process serves at `where`. */
  listening(where: string): void {
    process.send?.({ nmcp: 'listening', where } satisfies ClusterMessage);
  }

  /** Lets the process exit: the IPC channel would keep it alive (after the server closed). */
  close(): void {
    // Through the cluster's worker, not process.disconnect(): node:cluster exits a worker whose channel closes
    // unexpectedly with code 0, which would hide a failed start (exit 1) from the primary.
    if (process.connected) cluster.worker?.disconnect();
  }

  /** The whole cluster's metrics (Prometheus text), from the primary. */
  async clusterMetrics(): Promise<string> {
    return (await this.#channel.ask('metrics')) as string;
  }
}
