/**
 * One server of an McpHost: its name, its id in the shared RouteRegistry, its method routes there (method → handler
 * index, the index in `methods`), and the connections open on it. Every listener opens sessions through `connect`,
 * which makes each connection a transport of the registry, bound to this server while it is open.
 */

import { ErrorCode, NmcpError } from '../errors.js';
import type { RouteRegistry } from '../registry/route-registry.js';
import type { McpServer } from '../server/mcp-server.js';
import type { ServerSession } from '../server/server-session.js';
import type { Transport } from '../transport/types.js';
import { trackTransport } from './tracked-transport.js';

export interface HostedConnections {
  /** Connections (sessions) open now: each is a registry transport bound to the server. */
  readonly open: number;
  /** Connections opened since the server was added. */
  readonly total: number;
  /** The registry transport ids of the open connections. */
  readonly transports: readonly number[];
}

export class HostedServer {
  readonly name: string;
  /** The server's id in the registry. */
  readonly id: number;
  readonly server: McpServer;
  /** Made by the host from a factory: the host closes it on removeServer / close. */
  readonly owned: boolean;
  /** The request methods routed for it in the registry; a route's handler index is the method's index here. */
  readonly methods: readonly string[];
  readonly #registry: RouteRegistry;
  readonly #nextTransportId: () => number;
  readonly #open = new Map<number, Transport>();
  #total = 0;
  #removed = false;

  constructor(
    name: string,
    id: number,
    server: McpServer,
    owned: boolean,
    registry: RouteRegistry,
    nextTransportId: () => number,
  ) {
    this.name = name;
    this.id = id;
    this.server = server;
    this.owned = owned;
    this.#registry = registry;
    this.#nextTransportId = nextTransportId;
    this.methods = Array.isArray(server.methods) ? server.methods : [];
    // The host registered `id`; the routes say which methods the server answers (handler = index in `methods`).
    for (const [handler, method] of this.methods.entries()) registry.setRoute(id, method, { handler });
  }

  /** What listeners call instead of `server.connect`: the connection is a registry transport bound to this server. */
  readonly connect = async (transport: Transport): Promise<ServerSession> => {
    if (this.#removed) {
      throw new NmcpError(ErrorCode.INVALID_STATE, `server "${this.name}" was removed from the host`, {
        server: this.name,
      });
    }
    const transportId = this.#registerTransport();
    this.#registry.bindTransport(transportId, this.id);
    this.#open.set(transportId, transport);
    this.#total++;
    const release = () => this.#release(transportId);
    try {
      return await this.server.connect(trackTransport(transport, release));
    } catch (err) {
      release();
      throw err;
    }
  };

  /** The next free transport id, registered (ids a shared registry already holds are skipped). */
  #registerTransport(): number {
    for (let tries = 0; ; tries++) {
      const id = this.#nextTransportId();
      try {
        this.#registry.registerTransport(id);
        return id;
      } catch (err) {
        if (tries >= 1_000 || !(err instanceof NmcpError && err.code === ErrorCode.INVALID_ROUTE)) throw err;
      }
    }
  }

  #release(transportId: number): void {
    if (!this.#open.delete(transportId)) return;
    this.#registry.unregisterTransport(transportId);
  }

  get connections(): HostedConnections {
    return { open: this.#open.size, total: this.#total, transports: [...this.#open.keys()] };
  }

  /**
   * Refuses new connections, closes the open ones with `reason` (their clients see the connection end), closes the
   * server when the host made it, and takes the server and its routes out of the registry.
   */
  async remove(reason: Error): Promise<void> {
    this.#removed = true;
    await Promise.all([...this.#open.values()].map((t) => t.close(reason).catch(() => {})));
    if (this.owned) await this.server.close().catch(() => {});
    for (const transportId of [...this.#open.keys()]) this.#release(transportId);
    this.#registry.unregisterServer(this.id);
  }
}
