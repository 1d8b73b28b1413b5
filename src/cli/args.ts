/**
 * Command-line plumbing the subcommands share: parseArgs with nmcp's conventions (strict, no positionals, -h/--help
 * prints the command's help), and the checks of the flags several commands take (whole numbers, times, the era). A
 * check returns the parsed values, or a Problem: what is wrong and how to fix it, which the command reports with
 * usageError (exit 2).
 */
import { readFile } from 'node:fs/promises';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { usageError } from './usage.js';

export type FlagValues = Record<string, string | boolean | undefined>;
type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export interface Problem {
  readonly problem: string;
  readonly fix: string;
}

export function isProblem(x: unknown): x is Problem {
  return typeof x === 'object' && x !== null && 'problem' in x && 'fix' in x;
}

/**
 * Parses `argv` against `options` (plus -h/--help). Returns the values, or the exit code the command returns at once:
 * 0 after printing `help`, 2 after a usage error.
 */
export function parseFlags(command: string, argv: string[], options: OptionsConfig, help: string): FlagValues | number {
  let values: FlagValues;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    return usageError(command, (err as Error).message, `Run \`nmcp ${command} --help\` for the options.`);
  }
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  return values;
}

/** "5s", "500ms", "1m", "2.5" (seconds) → ms, or undefined. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(unit === 'ms' ? n : unit === 'm' ? n * 60_000 : n * 1000);
}

/** [flag, option key, example value] */
type Spec<K extends string> = readonly [flag: string, key: K, example: string];

/** Whole-number flags (≥ `min`), as options keyed by `key`; absent flags are left out. */
export function wholeNumbers<K extends string>(
  values: FlagValues,
  specs: readonly Spec<K>[],
  min = 1,
): Partial<Record<K, number>> | Problem {
  const out: Partial<Record<K, number>> = {};
  for (const [flag, key, example] of specs) {
    const v = values[flag];
    if (typeof v !== 'string') continue;
    if (!/^\d+$/.test(v) || Number(v) < min) {
      return {
        problem: `--${flag} needs a whole number ≥ ${min}, got ${JSON.stringify(v)}`,
        fix: `e.g. --${flag} ${example}`,
      };
    }
    out[key] = Number(v);
  }
  return out;
}

/** Time flags (5s, 500ms, 1m) in ms, at least `minMs` each; absent flags are left out. */
export function durations<K extends string>(
  values: FlagValues,
  specs: readonly Spec<K>[],
  minMs: Partial<Record<K, number>> = {},
): Partial<Record<K, number>> | Problem {
  const out: Partial<Record<K, number>> = {};
  for (const [flag, key, example] of specs) {
    const v = values[flag];
    if (typeof v !== 'string') continue;
    const ms = parseDuration(v);
    const min = minMs[key] ?? 0;
    if (ms === undefined || ms < min) {
      return {
        problem: `--${flag} needs a time such as 5s, 500ms or 1m${min > 0 ? ` (at least ${min}ms)` : ''}, got ${JSON.stringify(v)}`,
        fix: `e.g. --${flag} ${example}`,
      };
    }
    out[key] = ms;
  }
  return out;
}

/** --era legacy|modern (undefined when absent). */
export function eraFlag(values: FlagValues): 'legacy' | 'modern' | undefined | Problem {
  const era = values.era;
  if (era === undefined || typeof era !== 'string') return undefined;
  if (era === 'legacy' || era === 'modern') return era;
  return { problem: `--era must be legacy or modern, got ${JSON.stringify(era)}`, fix: 'e.g. --era modern' };
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads the JSON file of `--config PATH`: its parsed value, or what is wrong (unreadable, not JSON) and the fix. */
export async function readConfigJson(path: string): Promise<{ value: unknown } | Problem> {
  const file = `--config ${JSON.stringify(path)}`;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return { problem: `cannot read ${file}: ${(err as Error).message}`, fix: 'Give the path of a readable JSON file.' };
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return { problem: `${file} is not valid JSON: ${(err as Error).message}`, fix: 'Fix the JSON syntax.' };
  }
}
