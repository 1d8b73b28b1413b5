/**
 * Legacy HTTP sessions across the processes of `nmcp serve --http PORT --processes N`.
 *
 * node:cluster hands each new connection to the next process, so a client whose requests ride several connections
 * (a pool, a reconnect, a GET stream beside its POSTs) reaches processes that do not hold its session. Two ways out:
 * a shared session store, or a router that hands the request to the owning process. A legacy session is not data
 * that could live in a store: it is a live McpServer session — handlers in flight, an open SSE stream, pending
 * server→client requests — so it has to stay in the process that holds it. nmcp routes, and does it in the process
 * the request lands on rather than in the primary: every session id starts with its owner's number (`2.` + 128 random
 * bits), a request that names another process's session is piped as it is — headers and unread body, then the answer
 * or the SSE stream back — to the owner over a Unix socket of its own, and every other request (stateless modern-era
 * requests, initialize, a session's own requests on its keep-alive connection: the common case) is served where it
 * lands with no hop at all. A router in the primary would put a hop on every request.
 *
 * When the owner is gone (it died and was restarted: its sessions died with it) the client gets 404 `Session not
 * found`, which the spec tells it to answer with a new initialize.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dispatcher, Pool } from 'undici';
import { modernHeader } from '../transport/http/server/headers.js';
import type { SessionAffinity } from '../transport/http/server/http-server.js';

/** JSON-RPC code of the HTTP transport's `Session not found` (mcp-http-handler.ts). */
const SESSION_NOT_FOUND = -32001;

/** Hop-by-hop headers: they describe one connection, not the message (and HTTP/2 refuses them). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'http2-settings',
]);

/** The Unix socket where process `index` of the cluster whose primary is `primaryPid` takes forwarded requests. */
export function sessionSocketPath(primaryPid: number, index: number): string {
  return join(tmpdir(), `nmcp-${primaryPid}-${index}.sock`);
}

/** The owner's number in a session id this scheme made (`3.Xy…`), or undefined. */
export function sessionOwner(sessionId: string): number | undefined {
  const m = /^(\d{1,4})\./.exec(sessionId);
  return m === null ? undefined : Number(m[1]);
}

function endToEnd(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(':') || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}

function sessionNotFound(res: ServerResponse): void {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: null,
    error: { code: SESSION_NOT_FOUND, message: 'Session not found' },
  });
  res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Moves a whole connection to another process (node:cluster's IPC, through the primary: src/cluster/primary.ts). */
export interface ConnectionHandoff {
  /** Sends `socket`, and the bytes already read from it, to process `owner`. */
  send(owner: number, head: Buffer, socket: Socket): void;
  /** Connections other processes hand to this one. */
  onReceive(receive: (head: Buffer, socket: Socket) => void): void;
}

export interface ProcessAffinityOptions {
  /** This process's number (1 … N). */
  index: number;
  /** The primary's pid: names the sockets of this cluster. */
  primaryPid: number;
  /** With it, a connection whose first request names another process's session moves there whole. */
  handoff?: ConnectionHandoff;
}

/** Longest request head read before deciding where a connection goes; past it the connection stays. */
const MAX_HEAD = 16 * 1024;
/** How long a new connection may stay silent before it is given to this process's HTTP stack undecided. */
const SNIFF_TIMEOUT_MS = 5_000;

/**
 * The owner named by the Mcp-Session-Id header of a raw HTTP/1.1 request head, unless the request is a modern one
 * (stateless: served where it lands).
 */
export function headOwner(head: Buffer): number | undefined {
  const text = head.toString('latin1');
  const id = /\r\nmcp-session-id:[ \t]*([^\r\n]*)/i.exec(text)?.[1];
  if (id === undefined) return undefined;
  const version = /\r\nmcp-protocol-version:[ \t]*([^\r\n]*)/i.exec(text)?.[1];
  if (version !== undefined && modernHeader(version.trim())) return undefined;
  return sessionOwner(id.trim());
}

/** Counts of connections moved to their session's process (`nmcp_http_forwarded_requests_total`'s companion). */
export interface MovedConnections {
  sent: number;
  received: number;
}

/** The SessionAffinity of one process of the cluster (McpHttpServer.routeSessions). */
export async function processSessionAffinity(options: ProcessAffinityOptions): Promise<SessionAffinity> {
  const { index, primaryPid } = options;
  // undici (already loaded by the HTTP stack's client side): a keep-alive pool per owner, so a session's forwarded
  // requests reuse the hop's connections.
  const { Pool: UndiciPool } = await import('undici');
  const pools = new Map<number, Pool>();
  const poolFor = (owner: number): Pool => {
    let pool = pools.get(owner);
    if (pool === undefined) {
      pool = new UndiciPool('http://localhost', {
        socketPath: sessionSocketPath(primaryPid, owner),
        // An SSE stream may stay open for as long as the session: no body or headers timeout on the hop.
        bodyTimeout: 0,
        headersTimeout: 0,
      });
      pools.set(owner, pool);
    }
    return pool;
  };
  let server: Server | undefined;
  const own = sessionSocketPath(primaryPid, index);
  const { handoff } = options;
  const moved: MovedConnections = { sent: 0, received: 0 };
  // Connections not yet given to the HTTP stack (it closes those it has): close() ends these.
  const undecided = new Set<Socket>();
  let closed = false;

  return {
    prefix: `${index}.`,
    moved,
    ...(handoff === undefined
      ? {}
      : {
          connections: {
            accept(socket: Socket, deliver: (socket: Socket) => void): void {
              let head: Buffer | undefined;
              const decide = () => {
                undecided.delete(socket);
                socket.off('data', onData);
                socket.off('close', onClose);
                clearTimeout(timer);
                socket.pause();
                const bytes = head ?? Buffer.alloc(0);
                const end = bytes.indexOf('\r\n\r\n');
                const owner = end < 0 ? undefined : headOwner(bytes.subarray(0, end + 2));
                if (owner === undefined || owner === index) {
                  if (bytes.length > 0) socket.unshift(bytes);
                  deliver(socket);
                  socket.resume();
                  return;
                }
                moved.sent++;
                handoff.send(owner, bytes, socket);
              };
              const onData = (chunk: Buffer) => {
                head = head === undefined ? chunk : Buffer.concat([head, chunk]);
                if (head.indexOf('\r\n\r\n') >= 0 || head.length >= MAX_HEAD) decide();
              };
              const onClose = () => {
                undecided.delete(socket);
                clearTimeout(timer);
              };
              if (closed) {
                socket.destroy();
                return;
              }
              const timer = setTimeout(decide, SNIFF_TIMEOUT_MS);
              undecided.add(socket);
              socket.on('data', onData);
              socket.once('close', onClose);
            },
            adopt(deliver: (socket: Socket) => void): void {
              handoff.onReceive((head, socket) => {
                if (closed) {
                  socket.destroy();
                  return;
                }
                moved.received++;
                if (head.length > 0) socket.unshift(head);
                deliver(socket);
                socket.resume();
              });
            },
          },
        }),

    forward(req: IncomingMessage, res: ServerResponse, sessionId: string): boolean {
      const owner = sessionOwner(sessionId);
      if (owner === undefined || owner === index) {
        sessionNotFound(res);
        req.resume();
        return false;
      }
      const abort = new AbortController();
      // The client went away first (e.g. it closed its SSE stream): the owner sees its side close too.
      res.on('close', () => {
        if (!res.writableFinished) abort.abort();
      });
      const method = (req.method ?? 'GET') as Dispatcher.HttpMethod;
      poolFor(owner)
        .request({
          path: req.url ?? '/',
          method,
          headers: endToEnd(req.headers),
          body: method === 'GET' || method === 'HEAD' ? null : req,
          signal: abort.signal,
        })
        .then(
          (answer) => {
            res.writeHead(answer.statusCode, endToEnd(answer.headers as IncomingMessage['headers']));
            // SSE: each event goes on as it comes (no buffering here).
            res.flushHeaders();
            answer.body.on('error', () => res.destroy());
            answer.body.pipe(res);
          },
          () => {
            // The owner is gone (its socket refuses): its sessions went with it.
            if (!res.headersSent && !res.destroyed) sessionNotFound(res);
            else res.destroy();
          },
        );
      return true;
    },

    listen(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<void> {
      server = createServer(handle);
      // A socket left by this process's predecessor (it was killed, then restarted) is ours to replace.
      if (existsSync(own)) unlinkSync(own);
      const listening = server;
      return new Promise((resolve, reject) => {
        listening.once('error', reject);
        // exclusive: node:cluster must not share this listener between processes: it is this process's own.
        listening.listen({ path: own, exclusive: true }, () => {
          listening.off('error', reject);
          resolve();
        });
      });
    },

    async close(): Promise<void> {
      closed = true;
      for (const socket of undecided) socket.destroy();
      undecided.clear();
      await Promise.all([...pools.values()].map((pool) => pool.destroy()));
      pools.clear();
      const listening = server;
      if (listening === undefined) return;
      server = undefined;
      listening.closeAllConnections();
      await new Promise<void>((resolve) => listening.close(() => resolve()));
      if (existsSync(own)) unlinkSync(own);
    },
  };
}
