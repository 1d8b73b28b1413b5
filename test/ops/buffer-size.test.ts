/** recommendedBufferSize (src/ops/buffer-size.ts): bandwidth × RTT × 2, clamped to 64 KiB … 16 MiB. */
import { describe, expect, it } from 'vitest';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import { recommendedBufferSize as fromIndex } from '../../src/index.js';
import { BUFFER_SIZE_MAX, BUFFER_SIZE_MIN, recommendedBufferSize } from '../../src/ops/buffer-size.js';

describe('recommendedBufferSize', () => {
  it('is bandwidth × RTT × 2 between the clamps, in whole bytes', () => {
    // 1 Gbit/s (125,000,000 B/s) at 10 ms: 125e6 × 0.010 × 2.
    expect(recommendedBufferSize(125_000_000, 10)).toBe(2_500_000);
    // 100 Mbit/s at 40 ms.
    expect(recommendedBufferSize(12_500_000, 40)).toBe(1_000_000);
    // Fractions round to the nearest byte: 1,000,003 B/s × 0.0333 s × 2 = 66,600.1998.
    expect(recommendedBufferSize(1_000_003, 33.3)).toBe(66_600);
    expect(Number.isInteger(recommendedBufferSize(123_457, 789.1))).toBe(true);
  });

  it('clamps to 64 KiB below and 16 MiB above', () => {
    expect(BUFFER_SIZE_MIN).toBe(65_536);
    expect(BUFFER_SIZE_MAX).toBe(16_777_216);
    expect(recommendedBufferSize(12_500_000, 1)).toBe(65_536); // 25,000 B
    expect(recommendedBufferSize(0, 0)).toBe(65_536);
    expect(recommendedBufferSize(1_250_000_000, 50)).toBe(16_777_216); // 10 Gbit/s at 50 ms: 125 MB
    expect(recommendedBufferSize(Number.MAX_VALUE, Number.MAX_VALUE)).toBe(16_777_216); // the product overflows
    // The edges themselves.
    expect(recommendedBufferSize(32_768_000, 1)).toBe(65_536);
    expect(recommendedBufferSize(8_388_608_000, 1)).toBe(16_777_216);
  });

  it('rejects negative, NaN and infinite inputs with INVALID_OPTION naming the parameter', () => {
    const bad: [number, number, string][] = [
      [-1, 10, 'bandwidthBytesPerSecond'],
      [Number.NaN, 10, 'bandwidthBytesPerSecond'],
      [Number.POSITIVE_INFINITY, 10, 'bandwidthBytesPerSecond'],
      [1e6, -0.5, 'rttMs'],
      [1e6, Number.NaN, 'rttMs'],
      [1e6, Number.NEGATIVE_INFINITY, 'rttMs'],
    ];
    for (const [bandwidth, rtt, name] of bad) {
      let error: unknown;
      try {
        recommendedBufferSize(bandwidth, rtt);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(NmcpError);
      expect((error as NmcpError).code).toBe(ErrorCode.INVALID_OPTION);
      expect((error as NmcpError).message).toContain(`recommendedBufferSize: ${name} must be a finite number ≥ 0`);
      expect((error as NmcpError).details.key).toBe(name);
    }
    expect(() => recommendedBufferSize('100' as unknown as number, 1)).toThrow(/bandwidthBytesPerSecond .* got "100"/);
  });

  it('is exported from the package entry', () => {
    expect(fromIndex).toBe(recommendedBufferSize);
  });
});
