import type { Readable, Writable } from 'node:stream';
import { StreamTransport, type StreamTransportOptions } from './stream-transport.js';

export interface StdioServerTransportOptions extends Partial<StreamTransportOptions> {
  /** Input stream (default process.stdin). */
  stdin?: Readable;
  /** Output stream (default process.stdout). Nothing else may write to it: logs go to stderr. */
  stdout?: Writable;
}

/**
 * The server side of the stdio transport: NDJSON on the process's stdin/stdout. stdout carries only protocol messages;
 * nmcp logs to stderr.
 */
export class StdioServerTransport extends StreamTransport {
  constructor(options: StdioServerTransportOptions = {}) {
    const { stdin = process.stdin, stdout = process.stdout, ...rest } = options;
    super(stdin, stdout, { framing: 'ndjson', ...rest }, 'stdio');
  }
}
