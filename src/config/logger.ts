/**
 * The process logger: pino, one JSON object per line on stderr. A stdio server's stdout is the protocol, so nmcp never
 * logs there; other servers log to stderr too, beside the CLI's own "nmcp serve: …" lines. The level comes from
 * NmcpConfig.logging (the seed's production `warning` is 'warn', the default under NMCP_ENV=production) and may change
 * live: `logger.level = 'debug'` (a config reload does it).
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import type { LoggingConfig } from './runtime-config.js';

export type NmcpLogger = Logger;

export interface CreateLoggerOptions {
  /** The process serves stdio: stdout carries protocol messages, so logs must go to stderr (they always do by default). */
  stdio?: boolean;
  /** Where lines go instead of stderr (tests). Refused with `stdio` when it is process.stdout. */
  destination?: DestinationStream;
  /** pino's `name` field on every line. Default 'nmcp'. */
  name?: string;
}

/**
 * A pino logger at `logging.level` writing to stderr (synchronously, so that lines keep their order with the CLI's own
 * stderr lines and none is lost when the process exits). Levels print as words: {"level":"warn",…}.
 */
export function createLogger(logging: Readonly<LoggingConfig>, options: CreateLoggerOptions = {}): NmcpLogger {
  const { stdio = false, name = 'nmcp' } = options;
  if (stdio && (options.destination as unknown) === process.stdout) {
    throw new Error('createLogger: a stdio server cannot log to stdout (it carries the protocol); log to stderr');
  }
  const destination = options.destination ?? pino.destination({ fd: 2, sync: true });
  return pino(
    {
      name,
      level: logging.level,
      base: { pid: process.pid },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
