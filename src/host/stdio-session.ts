/**
 * McpHost.serveStdio: one session of a hosted server over stdin/stdout (NDJSON), a registry transport bound to that
 * server while it is open. It ends when stdin ends, when close() is called, or when the server is removed.
 */

import type { ServerSession } from '../server/server-session.js';
import { StdioServerTransport, type StdioServerTransportOptions } from '../transport/stdio.js';
import type { HostedServer } from './hosted-server.js';

export class HostStdioSession {
  /** The name of the server it serves. */
  readonly server: string;
  /** Resolves when the session has ended: with the reason when it ended because of a failure. */
  readonly closed: Promise<Error | undefined>;
  readonly #entry: HostedServer;
  readonly #transport: StdioServerTransport;
  #resolve!: (reason: Error | undefined) => void;
  #session: ServerSession | undefined;

  constructor(entry: HostedServer, options: StdioServerTransportOptions) {
    this.server = entry.name;
    this.#entry = entry;
    this.#transport = new StdioServerTransport(options);
    this.closed = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  async start(): Promise<void> {
    this.#session = await this.#entry.connect(this.#transport);
    this.#session.onclose = (reason) => this.#resolve(reason);
  }

  /** Ends the session. */
  async close(reason?: Error): Promise<void> {
    await this.#transport.close(reason);
    this.#resolve(reason);
  }
}
