import { ErrorCode, NmcpError } from '../errors.js';

/** How one numeric option is checked. */
export interface NumberRule {
  readonly min: number;
  readonly max: number;
  /** What the option means and its unit, quoted in error messages. */
  readonly what: string;
}

/**
 * Validates `input` against `rules`, fills defaults from `defaults`, rejects unknown keys and returns a frozen copy.
 * Errors name the key path, the value and what is allowed (fastify's initial-config-validation, in small).
 */
export function resolveOptions<T extends Record<string, number | string | boolean>>(
  scope: string,
  defaults: T,
  rules: { readonly [K in keyof T]?: NumberRule | readonly string[] },
  input: Partial<T> | undefined,
): Readonly<T> {
  const out: Record<string, unknown> = { ...defaults };
  if (input === undefined || input === null) return Object.freeze(out) as T;
  if (typeof input !== 'object') {
    throw new NmcpError(ErrorCode.INVALID_OPTION, `${scope} options must be an object, got ${typeof input}`, { scope });
  }
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(defaults, key)) {
      const known = Object.keys(defaults).join(', ');
      throw new NmcpError(ErrorCode.INVALID_OPTION, `${scope}.${key} is not a known option (known: ${known})`, {
        key: `${scope}.${key}`,
      });
    }
    const rule = rules[key as keyof T];
    const expectedType = typeof defaults[key as keyof T];
    if (typeof value !== expectedType) {
      throw new NmcpError(
        ErrorCode.INVALID_OPTION,
        `${scope}.${key} must be a ${expectedType}, got ${JSON.stringify(value)}`,
        { key: `${scope}.${key}`, value },
      );
    }
    if (Array.isArray(rule)) {
      if (!rule.includes(value as string)) {
        throw new NmcpError(
          ErrorCode.INVALID_OPTION,
          `${scope}.${key} must be one of ${rule.map((r) => JSON.stringify(r)).join(', ')}, got ${JSON.stringify(value)}`,
          { key: `${scope}.${key}`, value },
        );
      }
    } else if (rule !== undefined) {
      const n = value as number;
      const { min, max, what } = rule as NumberRule;
      if (!Number.isInteger(n) || n < min || n > max) {
        throw new NmcpError(
          ErrorCode.INVALID_OPTION,
          `${scope}.${key} must be an integer from ${min} to ${max} (${what}), got ${JSON.stringify(value)}`,
          { key: `${scope}.${key}`, value },
        );
      }
    }
    out[key] = value;
  }
  return Object.freeze(out) as T;
}
