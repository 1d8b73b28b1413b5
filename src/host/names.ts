/** Server names of an McpHost: the last segment of `/mcp/<name>`, so URL-safe without escaping. */

import { ErrorCode, NmcpError } from '../errors.js';

export const SERVER_NAME_PATTERN = /^[a-z0-9_-]{1,64}$/;

/** Throws NMCP_ERR_INVALID_OPTION unless `name` is 1 … 64 characters of a-z, 0-9, '-' and '_'. */
export function checkServerName(scope: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || !SERVER_NAME_PATTERN.test(name)) {
    throw new NmcpError(
      ErrorCode.INVALID_OPTION,
      `${scope}: server name must be 1 … 64 characters of a-z, 0-9, "-" and "_", got ${JSON.stringify(name)}`,
      { key: `${scope}.name`, name },
    );
  }
}
