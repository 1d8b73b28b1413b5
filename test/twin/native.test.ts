/**
 * The shared core suites (test/twin/core-suites.ts) run against the native addon when it loads. Skipped under
 * NMCP_NATIVE=0 (that run is for the twin) and when the addon is not built, unless NMCP_REQUIRE_NATIVE=1.
 */
import { describe, expect, it } from 'vitest';
import { loadNativeBinding } from '../../src/native/index.js';
import { suiteFor } from './core-suites.js';

const native = process.env.NMCP_NATIVE === '0' ? undefined : loadNativeBinding();

if (native) {
  suiteFor('native', native);
} else if (process.env.NMCP_REQUIRE_NATIVE === '1') {
  describe('native', () => {
    it('loads (NMCP_REQUIRE_NATIVE=1)', () => {
      expect(native, 'the native addon did not load').toBeDefined();
    });
  });
} else {
  describe.skip('native (addon not built, or NMCP_NATIVE=0)', () => {
    it('runs the core suites', () => {});
  });
}
