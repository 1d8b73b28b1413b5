import { resolveOptions } from '../../config/options.js';
import { ErrorCode, NmcpError } from '../../errors.js';

/**
 * When and how often a lost connection is dialled again: exponential backoff with full jitter (the delay before
 * attempt n is uniform in [0, min(maxDelayMs, initialDelayMs · 2^(n-1))]), so that clients cut off together by a
 * server restart do not come back together.
 */
export interface ReconnectOptions {
  /** Upper bound of the first delay, ms. Default 100. */
  initialDelayMs: number;
  /** Upper bound of any delay, ms. Default 30,000. */
  maxDelayMs: number;
  /** Attempts after a loss before giving up (the transport then closes). Default 10. 0 = never give up. */
  maxAttempts: number;
}

export const DEFAULT_RECONNECT_OPTIONS: Readonly<ReconnectOptions> = Object.freeze({
  initialDelayMs: 100, // ms
  maxDelayMs: 30_000, // ms
  maxAttempts: 10, // attempts, 0 = unlimited
});

const RULES = {
  initialDelayMs: { min: 0, max: 3_600_000, what: 'milliseconds' },
  maxDelayMs: { min: 0, max: 3_600_000, what: 'milliseconds' },
  maxAttempts: { min: 0, max: 1_000_000, what: 'attempts, 0 = unlimited' },
} as const;

/** `reconnect: true` means the defaults; false or undefined means off. */
export function resolveReconnect(
  scope: string,
  value: boolean | Partial<ReconnectOptions> | undefined,
): Readonly<ReconnectOptions> | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return DEFAULT_RECONNECT_OPTIONS;
  if (typeof value !== 'object' || value === null) {
    throw new NmcpError(
      ErrorCode.INVALID_OPTION,
      `${scope}.reconnect must be true, false or { initialDelayMs, maxDelayMs, maxAttempts }, got ${JSON.stringify(value)}`,
      { key: `${scope}.reconnect`, value },
    );
  }
  const resolved = resolveOptions(`${scope}.reconnect`, DEFAULT_RECONNECT_OPTIONS, RULES, value);
  if (resolved.maxDelayMs < resolved.initialDelayMs) {
    throw new NmcpError(
      ErrorCode.INVALID_OPTION,
      `${scope}.reconnect.maxDelayMs (${resolved.maxDelayMs}) must be at least initialDelayMs (${resolved.initialDelayMs})`,
      { key: `${scope}.reconnect.maxDelayMs`, value: resolved.maxDelayMs },
    );
  }
  return resolved;
}

/** The delay before attempt `attempt` (1-based): full jitter over the capped exponential. */
export function backoffDelay(policy: Readonly<ReconnectOptions>, attempt: number, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(random() * ceiling);
}
