/**
 * RFC 6570 URI templates, levels 1-3: expansion (exact, per the RFC's algorithm) and matching (the inverse, for
 * resources/read: which template a URI belongs to and its variables). Level-4 modifiers (`*` explode, `:n` prefix)
 * are refused at construction rather than half-supported.
 */

import { ErrorCode, NmcpError } from '../errors.js';

export type UriVariables = { [name: string]: string };
type ExpandValue = string | number | boolean | readonly (string | number | boolean)[] | undefined | null;

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

type Part = string | { op: string; names: string[] };

const UNRESERVED = /[A-Za-z0-9\-._~]/;
const RESERVED = /[:/?#[\]@!$&'()*+,;=]/;
const VARNAME = /^(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})(?:\.?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2}))*$/;

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

export class UriTemplate {
  readonly template: string;
  readonly variableNames: readonly string[];
  readonly #parts: Part[];
  readonly #regex: RegExp;
  /** For each capture group: the variable and how to read it. */
  readonly #groups: { names: string[]; kind: 'value' | 'named' | 'query' }[] = [];

  /** Whether `text` contains a template expression (`{…}`). */
  static isTemplate(text: string): boolean {
    return /\{[^{}]+\}/.test(text);
  }

  constructor(template: string) {
    this.template = template;
    this.#parts = UriTemplate.#parse(template);
    this.variableNames = this.#parts.flatMap((p) => (typeof p === 'string' ? [] : p.names));
    this.#regex = this.#compile();
  }

  toString(): string {
    return this.template;
  }

  static #parse(template: string): Part[] {
    const parts: Part[] = [];
    let i = 0;
    while (i < template.length) {
      const open = template.indexOf('{', i);
      if (open === -1) {
        parts.push(template.slice(i));
        break;
      }
      if (open > i) parts.push(template.slice(i, open));
      const close = template.indexOf('}', open);
      if (close === -1) throw UriTemplate.#error(template, 'an unclosed "{"');
      const body = template.slice(open + 1, close);
      const op = body[0] !== undefined && '+#./;?&'.includes(body[0]) ? body[0] : '';
      const names = body.slice(op.length).split(',');
      for (const name of names) {
        if (name.endsWith('*') || /:\d+$/.test(name)) {
          throw UriTemplate.#error(template, `the level-4 modifier in "{${body}}" (only levels 1-3 are supported)`);
        }
        if (!VARNAME.test(name)) throw UriTemplate.#error(template, `an invalid variable name "${name}"`);
      }
      parts.push({ op, names });
      i = close + 1;
    }
    return parts;
  }

  static #error(template: string, what: string): NmcpError {
    return new NmcpError(ErrorCode.INVALID_OPTION, `URI template ${JSON.stringify(template)} has ${what}`, {
      template,
    });
  }

  /** Expands the template (RFC 6570 §3.2). Undefined variables are left out, as the RFC says. */
  expand(variables: { [name: string]: ExpandValue }): string {
    let out = '';
    for (const part of this.#parts) {
      if (typeof part === 'string') {
        out += encode(part, true);
        continue;
      }
      const op = OPERATORS[part.op] as Operator;
      const pieces: string[] = [];
      for (const name of part.names) {
        const raw = variables[name];
        if (raw === undefined || raw === null) continue;
        const values = Array.isArray(raw) ? raw : [raw];
        if (Array.isArray(raw) && raw.length === 0) continue;
        const value = values.map((v) => encode(String(v), op.allowReserved)).join(',');
        if (!op.named) pieces.push(value);
        else pieces.push(value === '' ? `${name}${op.ifEmpty}` : `${name}=${value}`);
      }
      if (pieces.length > 0) out += op.first + pieces.join(op.sep);
    }
    return out;
  }

  #compile(): RegExp {
    let source = '^';
    for (const part of this.#parts) {
      if (typeof part === 'string') {
        source += escapeRegExp(part);
        continue;
      }
      const { op, names } = part;
      switch (op) {
        case '?':
        case '&':
          // Query parameters may come in any order: capture the whole component, read the names from it.
          source += op === '?' ? '(\\?[^#]*)?' : '(&[^#]*)?';
          this.#groups.push({ names, kind: 'query' });
          break;
        case ';':
          // `;name=value`, or `;name` alone for an empty value (the second, empty group then matches).
          for (const name of names) {
            source += `(?:;${escapeRegExp(name)}(?:=([^;/?#]*)|()))?`;
            this.#groups.push({ names: [name], kind: 'named' });
          }
          break;
        case '':
          source += `([^/?#,]+)${names
            .slice(1)
            .map(() => '(?:,([^/?#,]*))?')
            .join('')}`;
          for (const name of names) this.#groups.push({ names: [name], kind: 'value' });
          break;
        case '+':
        case '#': {
          const body = `(.+?)${names
            .slice(1)
            .map(() => '(?:,(.+?))?')
            .join('')}`;
          source += op === '#' ? `(?:#${body})?` : body;
          for (const name of names) this.#groups.push({ names: [name], kind: 'value' });
          break;
        }
        default: {
          // '.' and '/': each defined variable is prefixed by the operator.
          const value = op === '/' ? '([^/?#]*)' : '([^/?#.]*)';
          for (const name of names) {
            source += `(?:${escapeRegExp(op)}${value})?`;
            this.#groups.push({ names: [name], kind: 'value' });
          }
        }
      }
    }
    return new RegExp(`${source}$`);
  }

  /** The variables of `uri` when it matches the template, else undefined. Values are percent-decoded. */
  match(uri: string): UriVariables | undefined {
    const m = this.#regex.exec(uri);
    if (!m) return undefined;
    const vars: UriVariables = {};
    let g = 1;
    for (const group of this.#groups) {
      const captured = m[g++];
      if (group.kind === 'query') {
        if (captured === undefined) continue;
        for (const pair of captured.slice(1).split('&')) {
          if (pair === '') continue;
          const eq = pair.indexOf('=');
          const key = decode(eq === -1 ? pair : pair.slice(0, eq));
          if (group.names.includes(key)) vars[key] = decode(eq === -1 ? '' : pair.slice(eq + 1));
        }
      } else if (group.kind === 'named') {
        const empty = m[g++];
        const name = group.names[0] as string;
        if (captured !== undefined) vars[name] = decode(captured);
        else if (empty !== undefined) vars[name] = '';
      } else if (captured !== undefined) {
        vars[group.names[0] as string] = decode(captured);
      }
    }
    return vars;
  }
}
