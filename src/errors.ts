/**
 * Every runtime error nmcp throws is an NmcpError with a stable `code` (never reused; documented in docs/errors.md,
 * which a test keeps in step with this file). JSON-RPC error codes are a separate thing (src/protocol).
 *
 * `instanceof NmcpError` works across two copies of the package (a brand found via Symbol.for), as in undici.
 */

export const ErrorCode = {
  /** An option has a wrong type, is out of range, or is unknown. */
  INVALID_OPTION: 'NMCP_ERR_INVALID_OPTION',
  /** A frame exceeds maxMessageSize (incoming: that frame is skipped for NDJSON; outgoing: the message is refused). */
  FRAME_TOO_LARGE: 'NMCP_ERR_FRAME_TOO_LARGE',
  /** A length-prefixed stream declared a zero-length frame: the stream is out of sync and unusable. */
  CORRUPT_FRAME_HEADER: 'NMCP_ERR_CORRUPT_FRAME_HEADER',
  /** Input was pushed into a decoder that failed earlier (after a fatal framing error). */
  DECODER_FAILED: 'NMCP_ERR_DECODER_FAILED',
  /** An outgoing message cannot be framed: it is empty, or (NDJSON) contains a raw newline. */
  INVALID_FRAME: 'NMCP_ERR_INVALID_FRAME',
  /** The write queue is over maxPendingBytes: the message was not queued. */
  WRITE_QUEUE_FULL: 'NMCP_ERR_WRITE_QUEUE_FULL',
  /** A write after the writer was closed. */
  WRITER_CLOSED: 'NMCP_ERR_WRITER_CLOSED',
  /** The connection closed (or the transport refused a message): pending requests fail with this. */
  CONNECTION_CLOSED: 'NMCP_ERR_CONNECTION_CLOSED',
  /** A response arrived for a request id that is not pending (logged, not fatal). */
  UNEXPECTED_RESPONSE: 'NMCP_ERR_UNEXPECTED_RESPONSE',
  /** A partly received frame got no new bytes for readTimeoutMs: the session is closed. */
  READ_TIMEOUT: 'NMCP_ERR_READ_TIMEOUT',
  /** The peer did not read our output for writeTimeoutMs: the session is closed instead of buffering without bound. */
  WRITE_TIMEOUT: 'NMCP_ERR_WRITE_TIMEOUT',
  /** A child process (stdio client) failed to start or exited. */
  PROCESS_EXITED: 'NMCP_ERR_PROCESS_EXITED',
  /** A method was called in a state that does not allow it: a client request before connect(), a second profile. */
  INVALID_STATE: 'NMCP_ERR_INVALID_STATE',
  /** Protocol version negotiation failed (McpClient.connect): no version both peers support, or a pin not honoured. */
  NEGOTIATION_FAILED: 'NMCP_ERR_NEGOTIATION_FAILED',
  /** The peer's result breaks the protocol (an unknown resultType, a pagination cursor loop, a page without its list). */
  INVALID_RESULT: 'NMCP_ERR_INVALID_RESULT',
  /** A modern-era input_required result could not be satisfied: no callback for what it asks, or too many rounds. */
  INPUT_REQUIRED_FAILED: 'NMCP_ERR_INPUT_REQUIRED_FAILED',
  /** NMCP_REQUIRE_NATIVE=1 was set and the native addon could not be loaded. */
  NATIVE_UNAVAILABLE: 'NMCP_ERR_NATIVE_UNAVAILABLE',
  /** A TCP/Unix/TLS connection could not be made within connectTimeoutMs. */
  CONNECT_TIMEOUT: 'NMCP_ERR_CONNECT_TIMEOUT',
  /** A TCP/Unix/TLS connection could not be made (refused, unreachable, TLS handshake failed); `cause` is the OS error. */
  CONNECT_FAILED: 'NMCP_ERR_CONNECT_FAILED',
  /** A TCP server at maxConnections refused the connection (the client sees it in the server's error frame). */
  CONNECTION_LIMIT: 'NMCP_ERR_CONNECTION_LIMIT',
  /** A connection carried no bytes either way for idleTimeoutMs and was closed. */
  IDLE_TIMEOUT: 'NMCP_ERR_IDLE_TIMEOUT',
  /** Streamable HTTP client, legacy era: the server answered 404 to a request carrying our Mcp-Session-Id. */
  HTTP_SESSION_EXPIRED: 'NMCP_ERR_HTTP_SESSION_EXPIRED',
  /** A message posted as bytes (StreamableHttpClientTransport.postBytes) got a status outside 2xx or an unknown Content-Type. */
  HTTP_STATUS: 'NMCP_ERR_HTTP_STATUS',
  /** A route-table change names an unknown or already registered id, or an invalid id or target: nothing changed. */
  INVALID_ROUTE: 'NMCP_ERR_INVALID_ROUTE',
} as const;

export type NmcpErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const brand = Symbol.for('nmcp.error');

export class NmcpError extends Error {
  readonly code: NmcpErrorCode;
  /** Extra facts about the failure (the option key, the frame size, …), for logs and metrics. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: NmcpErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NmcpError';
    this.code = code;
    this.details = details;
  }

  get [brand](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}
