import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCode, NmcpError } from '../src/errors.js';

describe('NmcpError', () => {
  it('every code is documented in docs/errors.md, and every documented code exists', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const documented = new Set(doc.match(/NMCP_ERR_[A-Z_]+/g));
    const codes = new Set(Object.values(ErrorCode));
    expect([...codes].filter((c) => !documented.has(c))).toEqual([]);
    expect([...documented].filter((c) => !codes.has(c as never))).toEqual([]);
  });

  it('keys match their codes', () => {
    for (const [key, code] of Object.entries(ErrorCode)) expect(code).toBe(`NMCP_ERR_${key}`);
  });

  it('instanceof works across copies through the Symbol.for brand', () => {
    const err = new NmcpError(ErrorCode.INVALID_OPTION, 'x', { key: 'a' });
    expect(err).toBeInstanceOf(NmcpError);
    expect(err).toBeInstanceOf(Error);
    const foreign = { [Symbol.for('nmcp.error')]: true };
    expect(foreign instanceof NmcpError).toBe(true);
    expect(new Error('x') instanceof NmcpError).toBe(false);
    expect(err.code).toBe('NMCP_ERR_INVALID_OPTION');
    expect(err.details).toEqual({ key: 'a' });
  });
});
