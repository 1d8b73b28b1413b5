/**
 * `NMCP_<SECTION>_<KEY>` environment overrides of NmcpConfig: the variable name of each key (upper snake case of the
 * camelCase key: metrics.metricsIntervalMs → NMCP_METRICS_METRICS_INTERVAL_MS) and the parsing of its text by the
 * key's type. An unparsable value, or a variable that names no key of a known section (a typo), is an
 * NMCP_ERR_INVALID_OPTION naming the variable.
 */
import { ErrorCode, NmcpError } from '../errors.js';

/** The type a key's value has, which decides how its variable's text is parsed. */
export type EnvValueType = 'number' | 'boolean' | 'string' | 'list';

/** One key's value as read from the environment. */
export interface EnvEntry {
  /** The key path, e.g. 'tcp.maxConnections'. */
  readonly path: string;
  readonly value: number | boolean | string | readonly string[];
  /** The variable, e.g. 'NMCP_TCP_MAX_CONNECTIONS'. */
  readonly variable: string;
}

/** 'metricsIntervalMs' → 'METRICS_INTERVAL_MS'; 'http2' → 'HTTP2'; 'enableRouteCache' → 'ENABLE_ROUTE_CACHE'. */
export function upperSnake(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** The variable of `section`.`key`: envVarName('metrics', 'metricsIntervalMs') === 'NMCP_METRICS_METRICS_INTERVAL_MS'. */
export function envVarName(section: string, key: string): string {
  return `NMCP_${upperSnake(section)}_${upperSnake(key)}`;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

/** Parses one variable's text as `type`; throws NMCP_ERR_INVALID_OPTION naming the variable and the key. */
export function parseEnvValue(
  variable: string,
  path: string,
  type: EnvValueType,
  text: string,
): number | boolean | string | readonly string[] {
  const bad = (allowed: string) =>
    new NmcpError(
      ErrorCode.INVALID_OPTION,
      `${variable} must be ${allowed} (it sets ${path}), got ${JSON.stringify(text)}`,
      { key: path, value: text, source: `env:${variable}`, fix: `Set ${variable} to ${allowed}, or unset it.` },
    );
  const t = text.trim();
  switch (type) {
    case 'number':
      if (!NUMBER.test(t)) throw bad('a number such as 1000');
      return Number(t);
    case 'boolean':
      if (TRUE.includes(t.toLowerCase())) return true;
      if (FALSE.includes(t.toLowerCase())) return false;
      throw bad('true or false (also 1/0, yes/no, on/off)');
    case 'list':
      return Object.freeze(
        t
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      );
    default:
      return text;
  }
}

/**
 * Reads every `NMCP_<SECTION>_<KEY>` of `env` for the keys in `sections` (section → key → type). An empty variable
 * counts as unset. A variable under a known section's prefix that names none of its keys is refused (a typo would
 * otherwise be ignored silently), naming the known variables of that section.
 */
export function readEnvEntries(
  env: Readonly<Record<string, string | undefined>>,
  sections: Readonly<Record<string, Readonly<Record<string, EnvValueType>>>>,
): EnvEntry[] {
  const entries: EnvEntry[] = [];
  const known = new Map<string, { path: string; type: EnvValueType }>();
  for (const [section, keys] of Object.entries(sections)) {
    for (const [key, type] of Object.entries(keys))
      known.set(envVarName(section, key), { path: `${section}.${key}`, type });
  }
  for (const variable of Object.keys(env).sort()) {
    const text = env[variable];
    if (text === undefined || text === '' || !variable.startsWith('NMCP_')) continue;
    const spec = known.get(variable);
    if (spec !== undefined) {
      entries.push({ path: spec.path, value: parseEnvValue(variable, spec.path, spec.type, text), variable });
      continue;
    }
    const section = Object.keys(sections).find((s) => variable.startsWith(`NMCP_${upperSnake(s)}_`));
    if (section !== undefined) {
      const names = Object.keys(sections[section] ?? {}).map((k) => envVarName(section, k));
      throw new NmcpError(
        ErrorCode.INVALID_OPTION,
        `${variable} names no option of the ${section} section (got ${JSON.stringify(text)}; known: ${names.join(', ')})`,
        {
          key: section,
          value: text,
          source: `env:${variable}`,
          fix: `Rename ${variable} to one of the known names, or unset it.`,
        },
      );
    }
  }
  return entries;
}
