import { describe, expect, it } from 'vitest';
import { activeCore, loadNativeBinding, twinBinding } from '../../src/native/index.js';

describe('core loader', () => {
  it('reports which core is active, honouring NMCP_NATIVE=0 and NMCP_REQUIRE_NATIVE=1', () => {
    const info = activeCore();
    if (process.env.NMCP_NATIVE === '0') {
      expect(info).toEqual({ kind: 'ts', reason: 'NMCP_NATIVE=0', version: 'ts' });
    } else if (process.env.NMCP_REQUIRE_NATIVE === '1') {
      expect(info.kind).toBe('native');
      expect(info.reason).toBeUndefined();
      expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    } else {
      expect(['native', 'ts']).toContain(info.kind);
    }
  });

  it('the twin is always available and the native binding loads when it was built', () => {
    expect(typeof twinBinding.createDecoder).toBe('function');
    const native = loadNativeBinding();
    if (process.env.NMCP_REQUIRE_NATIVE === '1') expect(native).toBeDefined();
    if (native) expect(native).not.toBe(twinBinding);
  });
});
