/**
 * One benchmark connection: one MCP session over stdio, a socket or HTTP. The load loops see only this interface;
 * the drivers (stream-driver.ts, http-driver.ts) own the bytes.
 */
import type { Era } from './requests.js';

/** Ids at or above this are the driver's own (handshake, subscribe, trigger): load ids count up from 1 below it. */
export const CONTROL_ID_BASE = 1_000_000_000_000;

/** Where a driver delivers what the server sends. */
export interface LoadSink {
  /** A response to load request `id`; ok = a success that did the work. */
  response(id: number, ok: boolean): void;
  /** A notification (no id) — what fan-out counts. */
  notification(frame: Buffer): void;
  /** A frame that is neither: a response to an id not sent, a server→client request, bytes that are not JSON-RPC. */
  unexpected(): void;
  /** The end of a batch of responses (a chunk read): the closed loop issues the replacements in one write here. */
  flush(): void;
  /** The connection failed or closed under load. */
  failed(error: Error): void;
}

export interface Driver {
  /** Where responses go; set before the first send. */
  sink: LoadSink;
  /** Opens the session: legacy initialize + notifications/initialized, or nothing for 2026-07-28. */
  handshake(era: Era): Promise<void>;
  /** Sends the case's load request with each of these ids. */
  send(ids: readonly number[]): void;
  /** A request of the driver's own (subscribe, trigger); resolves with its result, rejects with its error. */
  control(method: string, params: object | undefined): Promise<unknown>;
  /** After the handshake, for HTTP: opens the session's GET stream so that notifications reach the sink. */
  listen(): Promise<void>;
  close(): Promise<void>;
}

export class ControlError extends Error {
  override readonly name = 'ControlError';
}
