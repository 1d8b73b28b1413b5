/**
 * Logging (notifications/message). Legacy era: logging/setLevel sets the session's threshold (until then every level
 * is sent, as the SDKs do); server.log() reaches each legacy session whose threshold allows the level. Modern era: no
 * unsolicited log channel — a handler's ctx.log() is sent only when the request's `_meta` names a log level
 * (docs/mcp-eras.md §3.9), see HandlerContext.log.
 */

import type { JsonObject } from '../protocol/jsonrpc.js';
import type { Call } from './core.js';
import { isLoggingLevel, type ServerSession } from './server-session.js';
import type { LoggingLevel } from './types.js';
import { invalidParams } from './wire.js';

/** logging/setLevel (legacy). */
export function setLevel(call: Call): JsonObject {
  const level = call.params.level;
  if (!isLoggingLevel(level)) {
    throw invalidParams(
      `Invalid params: "level" must be one of debug, info, notice, warning, error, critical, alert, emergency`,
    );
  }
  call.state.logLevel = level;
  return {};
}

/** notifications/message to every legacy session whose level allows `level`. Returns how many were sent. */
export function broadcastLog(sessions: Iterable<ServerSession>, level: LoggingLevel, data: unknown, logger?: string) {
  let sent = 0;
  for (const session of sessions) if (session.log(level, data, logger)) sent++;
  return sent;
}
