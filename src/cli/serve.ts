/**
 * `nmcp serve`: serves one of the bundled example servers. stdout carries protocol messages only; everything else
 * (the start-up line, errors) goes to stderr. Later issues add --tcp and --http beside --stdio.
 */
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '../transport/stdio.js';
import type { Transport, TransportSink } from '../transport/types.js';
import { usageError } from './usage.js';

export const SERVE_HELP = `Usage: nmcp serve --stdio --example NAME [--max-message-size BYTES]

Serves an example MCP server.

Options:
  --stdio                    serve one session over stdin/stdout (NDJSON); ends when stdin closes
  --example NAME             the server to serve: everything (examples/everything)
  --max-message-size BYTES   largest message in either direction (default 16777216; 1 … 268435456)
  --help, -h                 this text

Example:
  nmcp serve --stdio --example everything
`;

/** What the CLI needs of an example server (an McpServer). */
interface ServableServer {
  connect(transport: Transport): Promise<unknown>;
  close(): Promise<void>;
}

/** Bundled examples: the module (relative to dist/cli/) and its factory. Loaded lazily, from the built dist/. */
const EXAMPLES: Record<string, { module: string; factory: string }> = {
  everything: { module: '../examples/everything/server.js', factory: 'createEverythingServer' },
};

const MAX_MESSAGE_SIZE = 256 * 1024 * 1024;

export async function serve(argv: string[]): Promise<number> {
  let values: { stdio?: boolean; example?: string; 'max-message-size'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        stdio: { type: 'boolean' },
        example: { type: 'string' },
        'max-message-size': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return usageError('serve', (err as Error).message, 'Run `nmcp serve --help` for the options.');
  }
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return 0;
  }
  if (!values.stdio) {
    return usageError('serve', 'choose a transport', 'Add --stdio (the only transport so far).');
  }
  const name = values.example;
  if (name === undefined) {
    return usageError(
      'serve',
      'no server to serve',
      `Add --example NAME; known examples: ${Object.keys(EXAMPLES).join(', ')}.`,
    );
  }
  const example = Object.hasOwn(EXAMPLES, name) ? EXAMPLES[name] : undefined;
  if (!example) {
    return usageError(
      'serve',
      `unknown example ${JSON.stringify(name)}`,
      `Use one of: ${Object.keys(EXAMPLES).join(', ')}.`,
    );
  }
  let maxMessageSize: number | undefined;
  if (values['max-message-size'] !== undefined) {
    const raw = values['max-message-size'];
    maxMessageSize = Number(raw);
    if (!/^\d+$/.test(raw) || maxMessageSize < 1 || maxMessageSize > MAX_MESSAGE_SIZE) {
      return usageError(
        'serve',
        `--max-message-size must be a whole number of bytes from 1 to ${MAX_MESSAGE_SIZE}, got ${JSON.stringify(raw)}`,
        'For example: --max-message-size 1048576 (1 MiB).',
      );
    }
  }

  let server: ServableServer;
  try {
    const mod = (await import(new URL(example.module, import.meta.url).href)) as Record<string, unknown>;
    const factory = mod[example.factory] as (options?: object) => ServableServer;
    server = factory({});
  } catch (err) {
    process.stderr.write(`nmcp serve: could not load the ${name} example: ${(err as Error).stack ?? err}\n`);
    return 1;
  }

  const inner = new StdioServerTransport(maxMessageSize === undefined ? {} : { maxMessageSize });
  const { transport, closed } = watchClose(inner);
  try {
    await server.connect(transport);
  } catch (err) {
    process.stderr.write(`nmcp serve: could not start the session: ${(err as Error).message}\n`);
    return 1;
  }
  const onSignal = () => void transport.close();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const reason = await closed;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  await server.close().catch(() => {});
  // stdin may still hold the event loop open (a paused or half-read stream): release it, so the process ends.
  process.stdin.destroy();
  if (reason) {
    process.stderr.write(`nmcp serve: the session ended: ${reason.message}\n`);
    return 1;
  }
  return 0;
}

/** Wraps a transport so that its close (from either side, for any reason) resolves `closed` with the reason. */
function watchClose(inner: Transport): { transport: Transport; closed: Promise<Error | undefined> } {
  let resolve!: (reason: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((r) => {
    resolve = r;
  });
  const transport: Transport = {
    kind: inner.kind,
    start: (sink: TransportSink) =>
      inner.start({
        message: (text) => sink.message(text),
        frameError: (error) => sink.frameError(error),
        closed: (reason) => {
          try {
            sink.closed(reason);
          } finally {
            resolve(reason);
          }
        },
      }),
    send: (message, relatedRequestId) => inner.send(message, relatedRequestId),
    close: (reason) => inner.close(reason),
  };
  return { transport, closed };
}
