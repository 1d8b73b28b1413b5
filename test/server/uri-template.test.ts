import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NmcpError } from '../../src/errors.js';
import { UriTemplate } from '../../src/server/index.js';
import type { UriExpandValue, UriVariables } from '../../src/server/uri-template.js';

type ExpandVariables = { [name: string]: UriExpandValue };

// RFC 6570 §1.2 / §3.2 examples (levels 1-3).
const VARS = {
  var: 'value',
  hello: 'Hello World!',
  empty: '',
  path: '/foo/bar',
  x: '1024',
  y: '768',
};

function thrown(fn: () => unknown): NmcpError {
  try {
    fn();
  } catch (error) {
    if (error instanceof NmcpError) return error;
    throw error;
  }
  throw new Error('expected an NmcpError, nothing was thrown');
}

describe('UriTemplate.expand (RFC 6570 levels 1-3)', () => {
  it.each([
    ['{var}', 'value'],
    ['{hello}', 'Hello%20World%21'],
    ['{+var}', 'value'],
    ['{+hello}', 'Hello%20World!'],
    ['{+path}/here', '/foo/bar/here'],
    ['here?ref={+path}', 'here?ref=/foo/bar'],
    ['X{#var}', 'X#value'],
    ['X{#hello}', 'X#Hello%20World!'],
    ['map?{x,y}', 'map?1024,768'],
    ['{x,hello,y}', '1024,Hello%20World%21,768'],
    ['{+x,hello,y}', '1024,Hello%20World!,768'],
    ['{+path,x}/here', '/foo/bar,1024/here'],
    ['{#x,hello,y}', '#1024,Hello%20World!,768'],
    ['{#path,x}/here', '#/foo/bar,1024/here'],
    ['X{.var}', 'X.value'],
    ['X{.x,y}', 'X.1024.768'],
    ['{/var}', '/value'],
    ['{/var,x}/here', '/value/1024/here'],
    ['{;x,y}', ';x=1024;y=768'],
    ['{;x,y,empty}', ';x=1024;y=768;empty'],
    ['{?x,y}', '?x=1024&y=768'],
    ['{?x,y,empty}', '?x=1024&y=768&empty='],
    ['?fixed=yes{&x}', '?fixed=yes&x=1024'],
    ['{&x,y,empty}', '&x=1024&y=768&empty='],
    ['{var}{undef}', 'value'],
    ['{?undef}', ''],
  ])('%s → %s', (template, expected) => {
    expect(new UriTemplate(template).expand(VARS)).toBe(expected);
  });

  it('encodes non-ASCII as UTF-8', () => {
    expect(new UriTemplate('{v}').expand({ v: 'é☃' })).toBe('%C3%A9%E2%98%83');
  });
});

describe('UriTemplate.expand (level 4)', () => {
  it('keeps an object’s own member order (RFC 6570 §3.2.1: keys := [semi, dot, comma])', () => {
    const keys = { semi: ';', dot: '.', comma: ',' };
    expect(new UriTemplate('{keys}').expand({ keys })).toBe('semi,%3B,dot,.,comma,%2C');
    expect(new UriTemplate('{?keys*}').expand({ keys })).toBe('?semi=%3B&dot=.&comma=%2C');
    expect(new UriTemplate('X{.keys*}').expand({ keys })).toBe('X.semi=%3B.dot=..comma=%2C');
  });

  it('counts a prefix in Unicode characters, never splitting one', () => {
    expect(new UriTemplate('{v:2}').expand({ v: 'é😀x' })).toBe('%C3%A9%F0%9F%98%80');
    expect(new UriTemplate('{?v:1}').expand({ v: '😀' })).toBe('?v=%F0%9F%98%80');
  });

  it('leaves out undefined, null, empty lists, empty objects and null members', () => {
    const t = new UriTemplate('{/a,b*,c,d*}{?e*}');
    expect(
      t.expand({ a: null, b: [], c: undefined, d: { k: undefined, j: null }, e: ['x', null as unknown as string] }),
    ).toBe('?e=x');
  });

  it('refuses values the RFC has no expansion for, naming the variable', () => {
    const cases: [string, ExpandVariables, RegExp][] = [
      ['{keys:1}', { keys: { a: 'b' } }, /variable "keys" has the prefix modifier ":1" but a list or object value/],
      ['{list:2}', { list: ['a'] }, /variable "list" has the prefix modifier ":2"/],
      [
        '{list}',
        { list: [['nested'] as unknown as string] },
        /variable "list" is a list with a member that is not a string/,
      ],
      [
        '{obj}',
        { obj: { k: { deep: 'x' } as unknown as string } },
        /variable "obj" is an object whose "k" is not a string/,
      ],
      ['{fn}', { fn: (() => 'x') as unknown as string }, /variable "fn" is a function/],
    ];
    for (const [template, variables, message] of cases) {
      const error = thrown(() => new UriTemplate(template).expand(variables));
      expect(error.code).toBe('NMCP_ERR_INVALID_OPTION');
      expect(error.message).toMatch(message);
      expect(error.message).toContain(`URI template ${JSON.stringify(template)}`);
    }
  });
});

describe('UriTemplate.match', () => {
  it('reads simple variables', () => {
    const t = new UriTemplate('users://{id}/profile');
    expect(t.match('users://42/profile')).toEqual({ id: '42' });
    expect(t.match('users://42/other')).toBeUndefined();
    expect(t.match('users:///profile')).toBeUndefined();
    expect(t.variableNames).toEqual(['id']);
  });

  it('percent-decodes values and round-trips expand', () => {
    const t = new UriTemplate('search://{q}/{page}');
    const uri = t.expand({ q: 'a b/c', page: 2 });
    expect(uri).toBe('search://a%20b%2Fc/2');
    expect(t.match(uri)).toEqual({ q: 'a b/c', page: '2' });
  });

  it('reserved expansion spans slashes', () => {
    expect(new UriTemplate('file:///{+path}').match('file:///a/b/c.txt')).toEqual({ path: 'a/b/c.txt' });
  });

  it('reads query parameters in any order, absent ones left out', () => {
    const t = new UriTemplate('api://items{?limit,offset}');
    expect(t.match('api://items?offset=5&limit=10')).toEqual({ limit: '10', offset: '5' });
    expect(t.match('api://items')).toEqual({});
    expect(t.match('api://items?limit=3')).toEqual({ limit: '3' });
  });

  it('reads path segments, labels, matrix parameters and fragments', () => {
    expect(new UriTemplate('x:{/a,b}').match('x:/1/2')).toEqual({ a: '1', b: '2' });
    expect(new UriTemplate('x:{/a,b}').match('x:/1')).toEqual({ a: '1' });
    expect(new UriTemplate('host{.tld}').match('host.com')).toEqual({ tld: 'com' });
    expect(new UriTemplate('x:{;a,b}').match('x:;a=1;b')).toEqual({ a: '1', b: '' });
    expect(new UriTemplate('x:{;a,ab}').match('x:;ab=2;a=1')).toEqual({ a: '1', ab: '2' });
    expect(new UriTemplate('x:{;a}').match('x:;ab=1')).toBeUndefined();
    expect(new UriTemplate('doc{#frag}').match('doc#top')).toEqual({ frag: 'top' });
    expect(new UriTemplate('doc{#frag}').match('doc')).toEqual({});
    expect(new UriTemplate('p:{x,y}').match('p:1,2')).toEqual({ x: '1', y: '2' });
  });

  it('escapes literal regex characters', () => {
    expect(new UriTemplate('a.b+c://{x}').match('a.b+c://1')).toEqual({ x: '1' });
    expect(new UriTemplate('a.b+c://{x}').match('aXb+c://1')).toBeUndefined();
  });

  it('accepts a literal either as written or as expand percent-encodes it', () => {
    const t = new UriTemplate('docs://my file/{name}');
    expect(t.expand({ name: 'a' })).toBe('docs://my%20file/a');
    expect(t.match('docs://my%20file/a')).toEqual({ name: 'a' });
    expect(t.match('docs://my file/a')).toEqual({ name: 'a' });
  });

  it('reads a `{&…}` expression right after `{?…}` from the same query string', () => {
    const t = new UriTemplate('api://x{?a}{&b}');
    expect(t.match('api://x?b=2&a=1')).toEqual({ a: '1', b: '2' });
    expect(t.match(t.expand({ b: '2' }))).toEqual({ b: '2' });
    expect(new UriTemplate('?fixed=yes{&x}').match('?fixed=yes&x=1024')).toEqual({ x: '1024' });
  });

  it('refuses malformed templates with a message naming the problem', () => {
    const cases: [string, RegExp][] = [
      ['{open', /has an unclosed "\{"/],
      ['close}', /has a "\}" without a matching "\{"/],
      ['{a b}', /has an invalid variable name "a b" in "\{a b\}"/],
      ['{}', /has an empty expression/],
      ['{a{b}', /has a "\{" inside the expression/],
      ['{@a}', /has the reserved operator "@"/],
      ['{a:0}', /has an invalid prefix length in "a:0" \(a number from 1 to 9999\)/],
      ['{a:10000}', /has an invalid prefix length/],
      ['{a:01}', /has an invalid prefix length/],
      ['{a:2*}', /has both a prefix and an explode modifier on "a:2\*"/],
    ];
    for (const [template, message] of cases) {
      const error = thrown(() => new UriTemplate(template));
      expect(error.code).toBe('NMCP_ERR_INVALID_OPTION');
      expect(error.message).toMatch(message);
    }
  });
});

describe('UriTemplate.match (level 4)', () => {
  const list = ['red', 'green', 'blue'];

  it('reads exploded lists back as arrays for every operator', () => {
    const cases: [string, string, UriVariables][] = [
      ['{list*}', 'red,green,blue', { list }],
      ['{+list*}', 'red,green,blue', { list }],
      ['{#list*}', '#red,green,blue', { list }],
      ['X{.list*}', 'X.red.green.blue', { list }],
      ['{/list*}', '/red/green/blue', { list }],
      ['{;list*}', ';list=red;list=green;list=blue', { list }],
      ['{?list*}', '?list=red&list=green&list=blue', { list }],
      ['{&list*}', '&list=red&list=green&list=blue', { list }],
      ['{/list*}', '/one', { list: ['one'] }],
      ['{/list*}', '/a%2Fb/', { list: ['a/b', ''] }],
      ['{?list*}', '?list=', { list: [''] }],
      ['www{.dom*}', 'www.example.com', { dom: ['example', 'com'] }],
      [
        '{/id*}{?fields,token}',
        '/person/albums?fields=id,name,picture&token=12345',
        {
          id: ['person', 'albums'],
          fields: 'id,name,picture',
          token: '12345',
        },
      ],
      ['{?1337*}', '?1337=leet&1337=as&1337=it', { 1337: ['leet', 'as', 'it'] }],
    ];
    for (const [template, uri, expected] of cases) {
      expect(new UriTemplate(template).match(uri), `${template} ← ${uri}`).toEqual(expected);
    }
  });

  it('fills the variables after an exploded one first, as in the RFC’s {/list*,path:4}', () => {
    expect(new UriTemplate('{/list*,path:4}').match('/red/green/blue/%2Ffoo')).toEqual({ list, path: '/foo' });
    expect(new UriTemplate('{/list*,last}').match('/a/b/c')).toEqual({ list: ['a', 'b'], last: 'c' });
    expect(new UriTemplate('{list*,x}').match('a,b,c')).toEqual({ list: ['a', 'b'], x: 'c' });
  });

  it('accepts the comma form of an exploded named list (what the official SDK’s expander sends)', () => {
    expect(new UriTemplate('{?list*}').match('?list=red,green&list=blue')).toEqual({ list });
    expect(new UriTemplate('{;list*}').match(';list=red,green,blue')).toEqual({ list });
    // A comma inside an item is percent-encoded by RFC expansion, so it stays in its item.
    expect(new UriTemplate('{?list*}').match('?list=a%2Cb')).toEqual({ list: ['a,b'] });
  });

  it('reads prefix variables and refuses values longer than the prefix', () => {
    expect(new UriTemplate('{var:3}').match('val')).toEqual({ var: 'val' });
    expect(new UriTemplate('{var:3}').match('value')).toBeUndefined();
    expect(new UriTemplate('{?var:3}').match('?var=val')).toEqual({ var: 'val' });
    expect(new UriTemplate('{?var:3}').match('?var=value')).toBeUndefined();
    expect(new UriTemplate('{;hello:5}').match(';hello=Hello')).toEqual({ hello: 'Hello' });
    expect(new UriTemplate('{;hello:5}').match(';hello=Hello%20World')).toBeUndefined();
    expect(new UriTemplate('{+path:6}/here').match('/foo/b/here')).toEqual({ path: '/foo/b' });
    expect(new UriTemplate('X{.var:3}').match('X.val')).toEqual({ var: 'val' });
  });

  it('counts a prefix in characters whether the URI percent-encodes them or not', () => {
    const t = new UriTemplate('x:{v:2}/end');
    expect(t.match('x:%C3%A9%F0%9F%98%80/end')).toEqual({ v: 'é😀' });
    expect(t.match('x:é😀/end')).toEqual({ v: 'é😀' });
    expect(t.match('x:%C3%A9%F0%9F%98%80x/end')).toBeUndefined();
  });

  it('prefers a variable’s full value to its prefix', () => {
    expect(new UriTemplate('{/var:1,var}').match('/v/value')).toEqual({ var: 'value' });
    expect(new UriTemplate('{/var,var:1}').match('/value/v')).toEqual({ var: 'value' });
  });

  it('does not recover exploded objects: unnamed items stay list entries, named pairs are ignored', () => {
    expect(new UriTemplate('{/keys*}').match('/semi=%3B/dot=./comma=%2C')).toEqual({
      keys: ['semi=;', 'dot=.', 'comma=,'],
    });
    expect(new UriTemplate('{?id,token,keys*}').match('?id=admin&token=12345&key1=val1&key2=val2')).toEqual({
      id: 'admin',
      token: '12345',
    });
    expect(new UriTemplate('x:{;keys*}').match('x:;semi=%3B;dot=.')).toBeUndefined();
  });

  it('matches percent-encoded variable names by their decoded form', () => {
    expect(new UriTemplate('/lookup{?Stra%C3%9Fe}').match('/lookup?Stra%C3%9Fe=Gr%C3%BCner%20Weg')).toEqual({
      'Stra%C3%9Fe': 'Grüner Weg',
    });
  });

  it('never throws on arbitrary input', () => {
    const templates = ['{x}', '{+x:3}', '{/l*,y}', '{.a:2}', '{;a,b*}', '{?q:2,l*}{&r}', '{#f,g*}', 'x:{v:4}/y'].map(
      (t) => new UriTemplate(t),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (uri) => {
        for (const t of templates) t.match(uri);
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The uritemplate-test suite (test/vectors/uritemplate/README.md says which versions and why two cases need care).

interface VectorGroup {
  level?: number;
  variables: { [name: string]: unknown };
  testcases: [string, string | string[] | false][];
}

function loadVectors(file: string): { [group: string]: VectorGroup } {
  return JSON.parse(readFileSync(new URL(`../vectors/uritemplate/${file}`, import.meta.url), 'utf8'));
}

function isPlainObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** A JSON vector value as an expand() value; a shape expand() has no type for fails the test loudly. */
function toExpandValue(value: unknown): UriExpandValue {
  if (value === null || isScalar(value)) return value;
  if (Array.isArray(value) && value.every(isScalar)) return value;
  if (isPlainObject(value) && Object.values(value).every(isScalar)) return value as { [key: string]: string };
  throw new Error(`vector value ${JSON.stringify(value)} has no UriExpandValue form`);
}

function toVariables(variables: { [name: string]: unknown }): ExpandVariables {
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, toExpandValue(value)]));
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

/** The variables under every ordering of every object's members (JSON does not order them). */
function reorderings(variables: ExpandVariables): ExpandVariables[] {
  let results = [variables];
  for (const [name, value] of Object.entries(variables)) {
    if (!isPlainObject(value)) continue;
    const orders = permutations(Object.entries(value));
    results = results.flatMap((vars) => orders.map((entries) => ({ ...vars, [name]: Object.fromEntries(entries) })));
  }
  return results;
}

const EXPANSION_FILES = ['spec-examples.json', 'spec-examples-by-section.json', 'extended-tests.json'];
const expansionCases = EXPANSION_FILES.flatMap((file) =>
  Object.entries(loadVectors(file)).flatMap(([group, { variables, testcases }]) =>
    testcases.map(([template, expected]) => ({ file, group, template, expected, variables: toVariables(variables) })),
  ),
);
/** Cases that passed only under a reordering of an object's members (see the vectors' README). */
const reordered: string[] = [];

describe('uritemplate-test vectors: expansion', () => {
  it('loads every case', () => {
    expect(expansionCases.length).toBe(63 + 114 + 42);
  });

  it.each(expansionCases)('$file › $group › $template', ({ file, template, expected, variables }) => {
    expect(expected).not.toBe(false);
    const acceptable = Array.isArray(expected) ? expected : [expected];
    const t = new UriTemplate(template);
    const actual = t.expand(variables);
    if (acceptable.includes(actual)) return;
    const alternatives = reorderings(variables).map((vars) => t.expand(vars));
    expect(
      alternatives.some((uri) => acceptable.includes(uri)),
      `${actual} not in ${JSON.stringify(acceptable)}`,
    ).toBe(true);
    reordered.push(`${file} ${template}`);
  });

  it('needed the member reordering only for the 15 `keys` cases of spec-examples.json', () => {
    const keysCases = Object.values(loadVectors('spec-examples.json'))
      .flatMap((g) => g.testcases.map(([template]) => template))
      .filter((template) => /\{[^}]*keys/.test(template))
      .map((template) => `spec-examples.json ${template}`);
    expect(keysCases).toHaveLength(15);
    expect(reordered).toEqual(keysCases);
  });
});

describe('uritemplate-test vectors: negative tests', () => {
  const [group] = Object.values(loadVectors('negative-tests.json'));
  if (group === undefined) throw new Error('negative-tests.json has no group');
  const variables = toVariables(group.variables);
  // Why each template fails, so that a failure for the wrong reason (or an unclear message) is caught too.
  const reasons: { [template: string]: RegExp } = {
    '{/id*': /an unclosed "\{"/,
    '/id*}': /a "\}" without a matching "\{"/,
    '{/?id}': /an invalid variable name "\?id"/,
    '{var:prefix}': /an invalid prefix length in "var:prefix"/,
    '{hello:2*}': /both a prefix and an explode modifier on "hello:2\*"/,
    '{??hello}': /an invalid variable name "\?hello"/,
    '{!hello}': /the reserved operator "!"/,
    '{=path}': /the reserved operator "="/,
    '{$var}': /an invalid variable name "\$var"/,
    '{|var*}': /the reserved operator "\|"/,
    '{*keys?}': /an invalid variable name "\*keys\?"/,
    '{?empty=default,var}': /an invalid variable name "empty=default"/,
    '{var}{-prefix|/-/|var}': /an invalid variable name "-prefix\|\/-\/\|var"/,
    '?q={searchTerms}&amp;c={example:color?}': /an invalid prefix length in "example:color\?"/,
    'x{?empty|foo=none}': /an invalid variable name "empty\|foo=none"/,
    '/h{#hello+}': /an invalid variable name "hello\+"/,
    '/h#{hello+}': /an invalid variable name "hello\+"/,
    '{keys:1}': /variable "keys" has the prefix modifier ":1" but a list or object value/,
    '{+keys:1}': /variable "keys" has the prefix modifier ":1" but a list or object value/,
    '{;keys:1*}': /both a prefix and an explode modifier on "keys:1\*"/,
    '?{-join|&|var,list}': /an invalid variable name "-join\|&\|var"/,
  };

  it('has a reason for every case but /vars/:var', () => {
    expect(group.testcases.map(([template]) => template).filter((t) => t !== '/vars/:var')).toEqual(
      Object.keys(reasons),
    );
  });

  it.each(group.testcases.filter(([template]) => template !== '/vars/:var'))('%s fails', (template, expected) => {
    expect(expected).toBe(false);
    const error = thrown(() => new UriTemplate(template).expand(variables));
    expect(error.code).toBe('NMCP_ERR_INVALID_OPTION');
    expect(error.message).toContain(`URI template ${JSON.stringify(template)}`);
    expect(error.message).toMatch(reasons[template] as RegExp);
  });

  it('/vars/:var is a valid template (RFC 6570 literals include ":"), so it expands to itself', () => {
    expect(group.testcases.some(([template]) => template === '/vars/:var')).toBe(true);
    expect(new UriTemplate('/vars/:var').expand(variables)).toBe('/vars/:var');
  });

  // Cases a later upstream version adds (its file as stored is not valid JSON, so they are copied here).
  it.each([
    ['/people/{~thing}', /an invalid variable name "~thing"/],
    ['/sparql{?query){&default-graph-uri*}', /a "\{" inside the expression/],
    ['/resolution{?x, y}', /an invalid variable name " y"/],
  ])('%s fails', (template, reason) => {
    expect(thrown(() => new UriTemplate(template)).message).toMatch(reason);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Round trips: expand a generated template with generated values, match the result, get the variables back.

type Op = '' | '+' | '#' | '.' | '/' | ';' | '?' | '&';

/** Characters that stress encoding: every reserved character, `%`, space, multi-byte and astral characters. */
const interestingChar = fc.oneof(
  fc.constantFrom(...":/?#[]@!$&'()*+,;=%-._~ aZ09é☃😀"),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const text = fc.string({ unit: interestingChar, maxLength: 8 });

/**
 * What a value may hold for the round trip to be well-defined (see the top of uri-template.ts): `+` and `#` pass
 * reserved characters and `%` through unencoded, so those cannot be told from separators; `.` does not encode `.`.
 */
function clean(op: Op, value: string): string {
  if (op === '+' || op === '#') return value.replace(/[:/?#[\]@!$&'()*+,;=%]/g, '');
  if (op === '.') return value.replaceAll('.', '');
  return value;
}

const rawVar = fc.record({
  modifier: fc.constantFrom('none', 'prefix', 'explode'),
  prefix: fc.integer({ min: 1, max: 5 }),
  value: text,
  list: fc.array(text, { minLength: 1, maxLength: 4 }),
  defined: fc.boolean(),
});
const rawExpression = (ops: readonly Op[]) =>
  fc.record({ op: fc.constantFrom(...ops), vars: fc.array(rawVar, { minLength: 1, maxLength: 3 }) });
const plan = fc.record({
  path: fc.array(rawExpression(['', '+', '.', '/', ';']), { maxLength: 3 }),
  query: fc.option(rawExpression(['?']), { nil: undefined }),
  continuation: fc.option(rawExpression(['&']), { nil: undefined }),
  fragment: fc.option(rawExpression(['#']), { nil: undefined }),
});

interface Built {
  template: string;
  values: ExpandVariables;
  expected: UriVariables;
}

/** Turns a random plan into a template whose expansion is unambiguous, with its values and expected match. */
function build(input: typeof plan extends fc.Arbitrary<infer P> ? P : never): Built {
  const values: ExpandVariables = {};
  const expected: UriVariables = {};
  let n = 0;
  const expression = (op: Op, vars: (typeof input.path)[number]['vars']): string => {
    const named = op === ';' || op === '?' || op === '&';
    let exploded = false;
    const specs = vars.map((raw, index) => {
      const name = `v${n++}`;
      // Unnamed operators: every variable defined, at most one exploded (two would share items ambiguously), and
      // a non-empty first value where the operator has no leading character to mark the expression as present.
      let modifier = raw.modifier;
      if (!named && modifier === 'explode' && exploded) modifier = 'none';
      if (modifier === 'explode') exploded = true;
      if (named && !raw.defined) return modifier === 'explode' ? `${name}*` : name;
      const needsContent = index === 0 && (op === '' || op === '+');
      if (modifier === 'explode') {
        const list = raw.list.map((item) => clean(op, item));
        if (needsContent && list[0] === '') list[0] = 'x';
        values[name] = list;
        expected[name] = list;
        return `${name}*`;
      }
      let value = clean(op, raw.value);
      if (needsContent && value === '') value = 'x';
      values[name] = value;
      if (modifier === 'prefix') {
        expected[name] = Array.from(value).slice(0, raw.prefix).join('');
        return `${name}:${raw.prefix}`;
      }
      expected[name] = value;
      return name;
    });
    return `{${op}${specs.join(',')}}`;
  };
  // A literal `!` after each path expression: no cleaned value holds a raw `!`, so it always ends the expression.
  let template = 'x:';
  for (const e of input.path) template += `${expression(e.op, e.vars)}!`;
  if (input.query) template += expression('?', input.query.vars);
  if (input.continuation) template += expression('&', input.continuation.vars);
  if (input.fragment) template += expression('#', input.fragment.vars);
  return { template, values, expected };
}

describe('UriTemplate round trips (levels 1-4)', () => {
  it('match(expand(values)) gives the values back (prefix variables: their prefix)', () => {
    fc.assert(
      fc.property(plan, (input) => {
        const { template, values, expected } = build(input);
        const t = new UriTemplate(template);
        const uri = t.expand(values);
        expect(t.match(uri), `${template} → ${uri}`).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('level 1-3 templates only ever give strings', () => {
    fc.assert(
      fc.property(plan, (input) => {
        const { template, values } = build(input);
        const level3 = template.replace(/:\d+|\*/g, '');
        const flat = Object.fromEntries(
          Object.entries(values).map(([k, v]) => [k, Array.isArray(v) ? (v as string[]).join('') || 'x' : v]),
        );
        const matched = new UriTemplate(level3).match(new UriTemplate(level3).expand(flat));
        expect(matched).toBeDefined();
        for (const value of Object.values(matched ?? {})) expect(typeof value).toBe('string');
      }),
      { numRuns: 300 },
    );
  });
});
