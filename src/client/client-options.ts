import { ErrorCode, NmcpError } from '../errors.js';
import { DEFAULT_MAX_INPUT_ROUNDS } from './input-required.js';
import { type ResolvedNegotiation, resolveNegotiation } from './negotiation.js';
import type { McpClientOptions } from './types.js';

/** McpClientOptions after validation, with defaults filled in. */
export interface ResolvedClientOptions {
  negotiation: ResolvedNegotiation;
  timeoutMs: number;
  maxTotalTimeoutMs: number | undefined;
  probeTimeoutMs: number;
  maxInputRounds: number;
  validateToolOutput: boolean;
}

const KNOWN: readonly (keyof McpClientOptions)[] = [
  'negotiation',
  'capabilities',
  'timeoutMs',
  'maxTotalTimeoutMs',
  'probeTimeoutMs',
  'maxInputRounds',
  'onSampling',
  'samplingTools',
  'onElicitation',
  'elicitationModes',
  'roots',
  'onError',
  'validateToolOutput',
];

const HOUR_MS = 3_600_000;

/** Validates McpClientOptions: unknown keys, wrong types and out-of-range numbers are NMCP_ERR_INVALID_OPTION. */
export function resolveClientOptions(options: McpClientOptions): ResolvedClientOptions {
  if (typeof options !== 'object' || options === null) {
    throw new NmcpError(ErrorCode.INVALID_OPTION, `McpClient options must be an object, got ${typeof options}`, {});
  }
  for (const key of Object.keys(options)) {
    if (!(KNOWN as readonly string[]).includes(key)) {
      throw invalid(
        key,
        (options as Record<string, unknown>)[key],
        `is not a known option (known: ${KNOWN.join(', ')})`,
      );
    }
  }
  for (const key of ['onSampling', 'onElicitation', 'onError'] as const) {
    const v = options[key];
    if (v !== undefined && typeof v !== 'function') throw invalid(key, v, 'must be a function');
  }
  if (options.roots !== undefined && !isRoots(options.roots)) {
    throw invalid('roots', options.roots, 'must be an array of { uri: string, name?: string }');
  }
  if (
    options.capabilities !== undefined &&
    (typeof options.capabilities !== 'object' || options.capabilities === null || Array.isArray(options.capabilities))
  ) {
    throw invalid('capabilities', options.capabilities, 'must be an object');
  }
  for (const key of ['validateToolOutput', 'samplingTools'] as const) {
    const v = options[key];
    if (v !== undefined && typeof v !== 'boolean') throw invalid(key, v, 'must be a boolean');
  }
  const modes = options.elicitationModes;
  if (
    modes !== undefined &&
    (!Array.isArray(modes) || modes.length === 0 || !modes.every((m) => m === 'form' || m === 'url'))
  ) {
    throw invalid('elicitationModes', modes, "must be a non-empty array of 'form' | 'url'");
  }
  const timeoutMs = integer('timeoutMs', options.timeoutMs, 0, 24 * HOUR_MS) ?? 60_000;
  const maxTotal = integer('maxTotalTimeoutMs', options.maxTotalTimeoutMs, 0, 24 * HOUR_MS);
  return {
    negotiation: resolveNegotiation(options.negotiation),
    timeoutMs,
    maxTotalTimeoutMs: maxTotal === 0 ? undefined : maxTotal,
    probeTimeoutMs: integer('probeTimeoutMs', options.probeTimeoutMs, 1, 24 * HOUR_MS) ?? (timeoutMs || 60_000),
    maxInputRounds: integer('maxInputRounds', options.maxInputRounds, 1, 1_000) ?? DEFAULT_MAX_INPUT_ROUNDS,
    validateToolOutput: options.validateToolOutput ?? true,
  };
}

function integer(key: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(key, value, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function isRoots(v: unknown): boolean {
  return (
    Array.isArray(v) &&
    v.every(
      (r) =>
        typeof r === 'object' &&
        r !== null &&
        typeof (r as { uri?: unknown }).uri === 'string' &&
        ((r as { name?: unknown }).name === undefined || typeof (r as { name?: unknown }).name === 'string'),
    )
  );
}

function invalid(key: string, value: unknown, what: string): NmcpError {
  const shown = typeof value === 'function' ? 'a function' : JSON.stringify(value);
  return new NmcpError(ErrorCode.INVALID_OPTION, `McpClient.${key} ${what}, got ${shown}`, {
    key: `McpClient.${key}`,
    value,
  });
}
