import { describe, expect, it } from 'vitest';
import { NmcpError } from '../../src/errors.js';
import { UriTemplate } from '../../src/server/index.js';

// RFC 6570 §1.2 / §3.2 examples (levels 1-3).
const VARS = {
  var: 'value',
  hello: 'Hello World!',
  empty: '',
  path: '/foo/bar',
  x: '1024',
  y: '768',
};

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
    expect(new UriTemplate('doc{#frag}').match('doc#top')).toEqual({ frag: 'top' });
    expect(new UriTemplate('doc{#frag}').match('doc')).toEqual({});
    expect(new UriTemplate('p:{x,y}').match('p:1,2')).toEqual({ x: '1', y: '2' });
  });

  it('escapes literal regex characters', () => {
    expect(new UriTemplate('a.b+c://{x}').match('a.b+c://1')).toEqual({ x: '1' });
    expect(new UriTemplate('a.b+c://{x}').match('aXb+c://1')).toBeUndefined();
  });

  it('refuses level-4 modifiers and malformed templates', () => {
    expect(() => new UriTemplate('{list*}')).toThrow(NmcpError);
    expect(() => new UriTemplate('{var:3}')).toThrow(/level-4/);
    expect(() => new UriTemplate('{open')).toThrow(/unclosed/);
    expect(() => new UriTemplate('{a b}')).toThrow(/invalid variable name/);
  });
});
