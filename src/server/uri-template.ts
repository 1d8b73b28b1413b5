/**
 * RFC 6570 URI templates, all four levels: expansion (exact, per the RFC's §3.2 algorithm, including the level-4
 * `:n` prefix and `*` explode modifiers on strings, lists and associative arrays) and matching, the inverse, for
 * resources/read: which template a URI belongs to and its variables.
 *
 * Matching is an inverse only where expansion loses nothing, so these rules decide the cases where it does:
 * - A variable with the explode modifier comes back as a `string[]` (one entry per item, even for one item); every
 *   other variable is a `string`. A level 1-3 template therefore only ever yields strings.
 * - An exploded variable shares its expression with the variables after it lazily: `{/list*,last}` reads
 *   `/a/b/c` as list `['a', 'b']` and last `'c'` (which is how `/red/green/blue/%2Ffoo` reads back as the RFC's
 *   `{/list*,path:4}` example). In a `{+…}` or `{#…}` expression with an exploded variable, the other variables
 *   hold one comma-free value each. Two exploded variables in one unnamed expression cannot be told apart.
 * - An exploded associative array cannot be told from a list, and its keys are not the template's names: under the
 *   unnamed operators (`{keys*}`, `{/keys*}`, …) its `key=value` items come back as list entries; under `{?keys*}`
 *   and `{&keys*}` its pairs are ignored like any query parameter the template does not name; `{;keys*}` matches
 *   only `;` parameters the template names, so a URI carrying the object's pairs there does not match.
 * - A prefix variable (`{var:3}`) gives the prefix; a URI whose value is longer than the prefix does not match. Where
 *   the same variable also appears unprefixed, the full value wins.
 * - Exploded named lists also accept the comma form (`?tag=a,b` for `{?tag*}`), which is what the official SDK's
 *   client-side expander produces; RFC expansion never puts a raw comma inside such a value, so nothing is lost.
 * - Values are percent-decoded. `{.x}` values containing `.`, and `{+x}`/`{#x}` values containing `,` or a
 *   percent-encoded triplet, cannot be told apart from separators and do not round-trip.
 *
 * The official TypeScript SDK types matched variables the same way (`Record<string, string | string[]>`), but it
 * returns raw (still percent-encoded) text and makes an array only when an exploded value holds a comma.
 */

import { ErrorCode, NmcpError } from '../errors.js';

/**
 * Variables read from a URI by {@link UriTemplate.match}: `string[]` for exploded variables (`{/path*}`,
 * `{?tag*}`), `string` for all others. A variable the URI leaves out is absent.
 */
export type UriVariables = { [name: string]: string | string[] };

type Scalar = string | number | boolean;

/**
 * A value for {@link UriTemplate.expand}: a string (numbers and booleans are stringified), a list, or an associative
 * array (a plain object; pairs with undefined or null values are left out). undefined, null, an empty list and an
 * empty object are undefined variables, which the RFC leaves out of the expansion.
 */
export type UriExpandValue =
  | Scalar
  | readonly Scalar[]
  | { readonly [key: string]: Scalar | null | undefined }
  | null
  | undefined;

interface Operator {
  first: string;
  sep: string;
  named: boolean;
  ifEmpty: string;
  allowReserved: boolean;
}

const OPERATORS: { [op: string]: Operator } = {
  '': { first: '', sep: ',', named: false, ifEmpty: '', allowReserved: false },
  '+': { first: '', sep: ',', named: false, ifEmpty: '', allowReserved: true },
  '#': { first: '#', sep: ',', named: false, ifEmpty: '', allowReserved: true },
  '.': { first: '.', sep: '.', named: false, ifEmpty: '', allowReserved: false },
  '/': { first: '/', sep: '/', named: false, ifEmpty: '', allowReserved: false },
  ';': { first: ';', sep: ';', named: true, ifEmpty: '', allowReserved: false },
  '?': { first: '?', sep: '&', named: true, ifEmpty: '=', allowReserved: false },
  '&': { first: '&', sep: '&', named: true, ifEmpty: '=', allowReserved: false },
};

/** RFC 6570 §2.2 reserves these as operators for future extensions: a template using one is an error, not a name. */
const RESERVED_OPERATORS = '=,!@|';

interface VarSpec {
  name: string;
  explode: boolean;
  /** The `:n` prefix length (1-9999), in Unicode characters. */
  prefix: number | undefined;
}

type Part = string | { op: string; vars: VarSpec[] };

/** How match() reads one capture group. */
type Group =
  /** One variable of an unnamed operator; `split` separates the items of an exploded one. */
  | { kind: 'value'; spec: VarSpec; split: string | undefined }
  /** A run of `name=value` pairs (`?`/`&` query parameters, `;` path parameters) for these variables. */
  | { kind: 'pairs'; sep: string; specs: VarSpec[] };

const UNRESERVED = /[A-Za-z0-9\-._~]/;
const RESERVED = /[:/?#[\]@!$&'()*+,;=]/;
const VARNAME = /^(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})(?:\.?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2}))*$/;

/**
 * One Unicode character as it appears percent-encoded (its UTF-8 bytes as triplets), so that a prefix variable's
 * pattern can count characters the way expansion counted them, not bytes.
 */
const PCT_CHAR =
  '%[0-7][0-9A-Fa-f]|%[C-Dc-d][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]|%[Ee][0-9A-Fa-f](?:%[89ABab][0-9A-Fa-f]){2}|%[Ff][0-7](?:%[89ABab][0-9A-Fa-f]){3}';

function encode(value: string, allowReserved: boolean): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (UNRESERVED.test(ch)) out += ch;
    else if (allowReserved && RESERVED.test(ch)) out += ch;
    else if (allowReserved && ch === '%' && /^[0-9A-Fa-f]{2}$/.test(value.slice(i + 1, i + 3))) out += ch;
    else {
      const code = value.codePointAt(i) as number;
      const char = String.fromCodePoint(code);
      if (char.length === 2) i++;
      for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Length in Unicode characters (code points), the unit of the RFC's prefix modifier. */
function charLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

export class UriTemplate {
  readonly template: string;
  readonly variableNames: readonly string[];
  readonly #parts: Part[];
  readonly #regex: RegExp;
  /** For each capture group of #regex, in order: how to read it. */
  readonly #groups: Group[] = [];

  /** Whether `text` contains a template expression (`{…}`). */
  static isTemplate(text: string): boolean {
    return /\{[^{}]+\}/.test(text);
  }

  constructor(template: string) {
    this.template = template;
    this.#parts = UriTemplate.#parse(template);
    this.variableNames = this.#parts.flatMap((p) => (typeof p === 'string' ? [] : p.vars.map((v) => v.name)));
    this.#regex = this.#compile();
  }

  toString(): string {
    return this.template;
  }

  static #parse(template: string): Part[] {
    const parts: Part[] = [];
    const literal = (text: string): void => {
      // A lone "}" is not a literal character (RFC 6570 §2.1); it is almost always a typo for an expression.
      if (text.includes('}')) throw UriTemplate.#error(template, 'a "}" without a matching "{"');
      if (text !== '') parts.push(text);
    };
    let i = 0;
    while (i < template.length) {
      const open = template.indexOf('{', i);
      if (open === -1) {
        literal(template.slice(i));
        break;
      }
      literal(template.slice(i, open));
      const close = template.indexOf('}', open);
      if (close === -1) throw UriTemplate.#error(template, 'an unclosed "{"');
      const body = template.slice(open + 1, close);
      if (body.includes('{')) throw UriTemplate.#error(template, `a "{" inside the expression "{${body}}"`);
      const first = body[0];
      if (first === undefined) throw UriTemplate.#error(template, 'an empty expression "{}"');
      if (RESERVED_OPERATORS.includes(first)) {
        throw UriTemplate.#error(template, `the reserved operator "${first}" in "{${body}}"`);
      }
      const op = '+#./;?&'.includes(first) ? first : '';
      const vars = body
        .slice(op.length)
        .split(',')
        .map((spec) => UriTemplate.#varSpec(template, body, spec));
      parts.push({ op, vars });
      i = close + 1;
    }
    return parts;
  }

  static #varSpec(template: string, body: string, spec: string): VarSpec {
    const explode = spec.endsWith('*');
    let name = explode ? spec.slice(0, -1) : spec;
    let prefix: number | undefined;
    const colon = name.indexOf(':');
    if (colon !== -1) {
      if (explode) {
        throw UriTemplate.#error(template, `both a prefix and an explode modifier on "${spec}" in "{${body}}"`);
      }
      const length = name.slice(colon + 1);
      // max-length = %x31-39 0*3DIGIT: 1 to 9999, no leading zero.
      if (!/^[1-9][0-9]{0,3}$/.test(length)) {
        throw UriTemplate.#error(template, `an invalid prefix length in "${spec}" (a number from 1 to 9999)`);
      }
      prefix = Number(length);
      name = name.slice(0, colon);
    }
    if (!VARNAME.test(name)) throw UriTemplate.#error(template, `an invalid variable name "${name}" in "{${body}}"`);
    return { name, explode, prefix };
  }

  static #error(template: string, what: string): NmcpError {
    return new NmcpError(ErrorCode.INVALID_OPTION, `URI template ${JSON.stringify(template)} has ${what}`, {
      template,
    });
  }

  /** Expands the template (RFC 6570 §3.2). Undefined variables are left out, as the RFC says. */
  expand(variables: { readonly [name: string]: UriExpandValue }): string {
    let out = '';
    for (const part of this.#parts) {
      if (typeof part === 'string') {
        out += encode(part, true);
        continue;
      }
      const op = OPERATORS[part.op] as Operator;
      const pieces: string[] = [];
      for (const spec of part.vars) {
        const piece = this.#expandVariable(op, spec, variables[spec.name]);
        if (piece !== undefined) pieces.push(piece);
      }
      if (pieces.length > 0) out += op.first + pieces.join(op.sep);
    }
    return out;
  }

  /** One varspec's expansion (without the expression's first/sep strings), or undefined when the variable is. */
  #expandVariable(op: Operator, spec: VarSpec, value: UriExpandValue): string | undefined {
    if (value === undefined || value === null) return undefined;
    const named = (name: string, encoded: string): string =>
      encoded === '' ? `${name}${op.ifEmpty}` : `${name}=${encoded}`;
    if (isScalar(value)) {
      let text = String(value);
      if (spec.prefix !== undefined && text.length > spec.prefix)
        text = Array.from(text).slice(0, spec.prefix).join('');
      const encoded = encode(text, op.allowReserved);
      return op.named ? named(spec.name, encoded) : encoded;
    }
    if (spec.prefix !== undefined) {
      // RFC 6570 §2.4.1: prefix modifiers are not applicable to composite values.
      throw this.#valueError(spec, `has the prefix modifier ":${spec.prefix}" but a list or object value`);
    }
    if (Array.isArray(value)) {
      const items: string[] = [];
      for (const item of value as readonly unknown[]) {
        if (item === undefined || item === null) continue;
        if (!isScalar(item)) throw this.#valueError(spec, 'is a list with a member that is not a string');
        items.push(encode(String(item), op.allowReserved));
      }
      if (items.length === 0) return undefined;
      if (!spec.explode) return op.named ? named(spec.name, items.join(',')) : items.join(',');
      return items.map((item) => (op.named ? named(spec.name, item) : item)).join(op.sep);
    }
    if (typeof value !== 'object') throw this.#valueError(spec, `is a ${typeof value}`);
    const pairs: [string, string][] = [];
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined || item === null) continue;
      if (!isScalar(item)) throw this.#valueError(spec, `is an object whose "${key}" is not a string`);
      pairs.push([encode(key, op.allowReserved), encode(String(item), op.allowReserved)]);
    }
    if (pairs.length === 0) return undefined;
    if (!spec.explode) {
      const joined = pairs.map(([key, item]) => `${key},${item}`).join(',');
      return op.named ? named(spec.name, joined) : joined;
    }
    return pairs.map(([key, item]) => (op.named ? named(key, item) : `${key}=${item}`)).join(op.sep);
  }

  #valueError(spec: VarSpec, what: string): NmcpError {
    return new NmcpError(
      ErrorCode.INVALID_OPTION,
      `URI template ${JSON.stringify(this.template)}: variable "${spec.name}" ${what}`,
      { template: this.template, variable: spec.name },
    );
  }

  #compile(): RegExp {
    let source = '^';
    let previous: Part | undefined;
    for (const [index, part] of this.#parts.entries()) {
      if (typeof part === 'string') {
        // Expansion percent-encodes literal characters a URI cannot hold; accept them either way.
        const raw = escapeRegExp(part);
        const encoded = escapeRegExp(encode(part, true));
        source += raw === encoded ? raw : `(?:${raw}|${encoded})`;
        previous = part;
        continue;
      }
      source += this.#expressionPattern(part, previous, this.#parts[index + 1]);
      previous = part;
    }
    // `u`: prefix patterns count characters, and an astral character in a raw URI is one character, not two.
    return new RegExp(`${source}$`, 'u');
  }

  #expressionPattern(
    part: { op: string; vars: VarSpec[] },
    previous: Part | undefined,
    next: Part | undefined,
  ): string {
    const { op, vars } = part;
    const isQuery = (p: Part | undefined): boolean => typeof p === 'object' && (p.op === '?' || p.op === '&');
    switch (op) {
      case '?':
      case '&': {
        // `{?a}{&b}` expands to one query string: a `&` expression right after another query expression reads its
        // names from the same captured run of parameters, which may come in any order.
        const last = this.#groups.at(-1);
        if (op === '&' && isQuery(previous) && last?.kind === 'pairs') {
          last.specs.push(...vars);
          return '';
        }
        this.#groups.push({ kind: 'pairs', sep: '&', specs: [...vars] });
        // When every variable of `{?a}` is undefined, the `&` expression that follows starts the run with "&".
        if (op === '?' && isQuery(next)) return '([?&][^#]*)?';
        return op === '?' ? '(\\?[^#]*)?' : '(&[^#]*)?';
      }
      case ';': {
        // Only the template's names, in any order; the longest first so `;ab` is not read as `a` followed by junk.
        const names = [...new Set(vars.map((v) => v.name))].sort((a, b) => b.length - a.length).map(escapeRegExp);
        this.#groups.push({ kind: 'pairs', sep: ';', specs: vars });
        return `((?:;(?:${names.join('|')})(?:=[^;/?#]*)?)*)`;
      }
      case '':
      case '+':
      case '#': {
        // Comma-separated values; `+` and `#` values may hold any character (reserved ones are not encoded).
        const reserved = op !== '';
        // Beside an exploded variable (whose items are split at commas), the others hold one comma-free item each.
        const single = reserved && vars.some((v) => v.explode);
        const excluded = reserved ? (single ? ',' : '') : '/?#,';
        let body = '';
        vars.forEach((spec, index) => {
          // The first value must be non-empty unless a `#` already marks the expression as present: otherwise an
          // empty first value and an undefined expression would both match nothing.
          const min = index === 0 && op !== '#' ? 1 : 0;
          const repeat = min === 1 ? '+' : '*';
          let value: string;
          if (spec.prefix !== undefined) value = UriTemplate.#prefixPattern(excluded, min, spec.prefix, reserved);
          else if (reserved) value = single && !spec.explode ? `[^,]${repeat}?` : `.${repeat}?`;
          else if (spec.explode) value = `[^/?#,]${repeat}(?:,[^/?#,]*)*?`;
          else value = `[^/?#,]${repeat}`;
          body += index === 0 ? `(${value})` : `(?:,(${value}))?`;
          this.#groups.push({ kind: 'value', spec, split: spec.explode ? ',' : undefined });
        });
        return op === '#' ? `(?:#${body})?` : body;
      }
      default: {
        // '.' and '/': each defined variable (and each item of an exploded one) is prefixed by the operator.
        const sep = escapeRegExp(op);
        const excluded = op === '/' ? '/?#' : '/?#.';
        let body = '';
        for (const spec of vars) {
          let value: string;
          if (spec.prefix !== undefined) value = UriTemplate.#prefixPattern(excluded, 0, spec.prefix, false);
          else if (spec.explode) value = `[^${excluded}]*(?:${sep}[^${excluded}]*)*?`;
          else value = `[^${excluded}]*`;
          body += `(?:${sep}(${value}))?`;
          this.#groups.push({ kind: 'value', spec, split: spec.explode ? op : undefined });
        }
        return body;
      }
    }
  }

  /** Between `min` and `max` characters, each either raw (not in `excluded`) or a percent-encoded UTF-8 character. */
  static #prefixPattern(excluded: string, min: number, max: number, lazy: boolean): string {
    return `(?:${PCT_CHAR}|[^%${excluded}]){${min},${max}}${lazy ? '?' : ''}`;
  }

  /**
   * The variables of `uri` when it matches the template, else undefined. Values are percent-decoded; exploded
   * variables are arrays (see the rules at the top of this file). Never throws, whatever the URI.
   */
  match(uri: string): UriVariables | undefined {
    const m = this.#regex.exec(uri);
    if (!m) return undefined;
    const vars: UriVariables = {};
    // Variables set from an occurrence without a prefix modifier: a prefix occurrence never overwrites those.
    const full = new Set<string>();
    const assign = (spec: VarSpec, value: string | string[]): void => {
      if (spec.prefix !== undefined && full.has(spec.name)) return;
      vars[spec.name] = value;
      if (spec.prefix === undefined) full.add(spec.name);
    };
    for (let g = 0; g < this.#groups.length; g++) {
      const group = this.#groups[g] as Group;
      const captured = m[g + 1];
      if (captured === undefined) continue;
      if (group.kind === 'value') {
        assign(group.spec, group.split === undefined ? decode(captured) : captured.split(group.split).map(decode));
        continue;
      }
      const lists = new Map<VarSpec, string[]>();
      for (const pair of captured.slice(1).split(group.sep)) {
        if (pair === '') continue;
        const eq = pair.indexOf('=');
        const key = decode(eq === -1 ? pair : pair.slice(0, eq));
        const raw = eq === -1 ? '' : pair.slice(eq + 1);
        // Names may hold pct-encoded characters (`{?Stra%C3%9Fe}`): compare them decoded, as the URI's keys are.
        const spec = group.specs.find((s) => decode(s.name) === key);
        if (spec === undefined) continue;
        if (spec.explode) {
          const list = lists.get(spec) ?? [];
          list.push(...raw.split(',').map(decode));
          lists.set(spec, list);
          continue;
        }
        const value = decode(raw);
        if (spec.prefix !== undefined && charLength(value) > spec.prefix) return undefined;
        assign(spec, value);
      }
      for (const [spec, list] of lists) assign(spec, list);
    }
    return vars;
  }
}
