/**
 * CircuitBreaker with a fake clock: closed → open after failureThreshold consecutive failures, open → half-open after
 * openDurationMs, one probe at a time, success closes, failure reopens.
 */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/gateway/breaker.js';

function setup(failureThreshold = 3, openDurationMs = 1000) {
  let now = 10_000;
  const breaker = new CircuitBreaker({ failureThreshold, openDurationMs }, () => now);
  return {
    breaker,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('CircuitBreaker', () => {
  it('opens after failureThreshold consecutive failures; a success in between resets the count', () => {
    const { breaker } = setup(3);
    for (let i = 0; i < 2; i++) {
      expect(breaker.acquire().ok).toBe(true);
      breaker.failure();
    }
    breaker.success();
    expect(breaker.failures).toBe(0);
    for (let i = 0; i < 3; i++) {
      expect(breaker.acquire().ok).toBe(true);
      breaker.failure();
    }
    expect(breaker.state).toBe('open');
    const refused = breaker.acquire();
    expect(refused).toEqual({ ok: false, retryAt: 11_000 });
  });

  it('open → half-open after openDurationMs: one probe goes through, its success closes the breaker', () => {
    const { breaker, advance } = setup(1, 1000);
    breaker.acquire();
    breaker.failure();
    expect(breaker.state).toBe('open');
    advance(999);
    expect(breaker.acquire().ok).toBe(false);
    advance(1);
    expect(breaker.state).toBe('half-open');
    expect(breaker.acquire().ok).toBe(true); // the probe
    expect(breaker.acquire().ok).toBe(false); // others wait for it
    breaker.success();
    expect(breaker.state).toBe('closed');
    expect(breaker.acquire().ok).toBe(true);
  });

  it('a failed probe reopens it for another openDurationMs', () => {
    const { breaker, advance } = setup(2, 500);
    for (let i = 0; i < 2; i++) {
      breaker.acquire();
      breaker.failure();
    }
    advance(500);
    expect(breaker.acquire().ok).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.acquire()).toEqual({ ok: false, retryAt: 11_000 });
    advance(499);
    expect(breaker.state).toBe('open');
    advance(1);
    expect(breaker.state).toBe('half-open');
  });

  it('a released probe (cancelled downstream) lets the next call probe', () => {
    const { breaker, advance } = setup(1, 100);
    breaker.acquire();
    breaker.failure();
    advance(100);
    expect(breaker.acquire().ok).toBe(true);
    breaker.release();
    expect(breaker.acquire().ok).toBe(true);
  });
});
