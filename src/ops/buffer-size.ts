/**
 * Socket buffer sizing, the seed's rule (erlmcp's calculate_buffer_size/2): a buffer should hold what is in flight on
 * the path, bandwidth × round-trip time, twice over, clamped to 64 KiB … 16 MiB. docs/tuning.md § Buffer sizing.
 */
import { ErrorCode, NmcpError } from '../errors.js';

/** The smallest buffer recommendedBufferSize returns: 64 KiB (the seed's floor). */
export const BUFFER_SIZE_MIN = 64 * 1024;
/** The largest buffer recommendedBufferSize returns: 16 MiB (the seed's ceiling). */
export const BUFFER_SIZE_MAX = 16 * 1024 * 1024;

function checkInput(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new NmcpError(
      ErrorCode.INVALID_OPTION,
      `recommendedBufferSize: ${name} must be a finite number ≥ 0, got ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`,
      { key: name, value },
    );
  }
}

/**
 * The socket buffer size, in whole bytes, for a path of `bandwidthBytesPerSecond` (bytes, not bits, per second) and a
 * round trip of `rttMs` milliseconds: bandwidth × RTT × 2, clamped to 64 KiB … 16 MiB. Use it for the TCP transport's
 * sendBufferSize / recvBufferSize (which the kernel caps at net.core.wmem_max / rmem_max: `nmcp doctor` checks them).
 *
 *   recommendedBufferSize(125_000_000, 10) // 1 Gbit/s, 10 ms → 2,500,000
 *
 * Throws NmcpError INVALID_OPTION, naming the parameter, for a negative, NaN or infinite input.
 */
export function recommendedBufferSize(bandwidthBytesPerSecond: number, rttMs: number): number {
  checkInput('bandwidthBytesPerSecond', bandwidthBytesPerSecond);
  checkInput('rttMs', rttMs);
  // × rttMs × 2 before ÷ 1000, so that whole-number inputs give exact products (125e6 × 10 × 2 / 1000 = 2.5e6).
  const bytes = (bandwidthBytesPerSecond * rttMs * 2) / 1000;
  if (!(bytes < BUFFER_SIZE_MAX)) return BUFFER_SIZE_MAX; // also a product that overflowed to Infinity
  return Math.max(BUFFER_SIZE_MIN, Math.round(bytes));
}
