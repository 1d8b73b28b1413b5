/**
 * The circuit breaker of one upstream (docs/gateway.md §Breaker). Closed: calls go through and consecutive failures
 * are counted; `failureThreshold` of them in a row open it. Open: calls fail at once for `openDurationMs`. Then
 * half-open: one probe call goes through (others still fail at once); its success closes the breaker, its failure
 * opens it again for another `openDurationMs`.
 *
 * A failure is what the caller reports as one: a transport error, a timeout, a JSON-RPC error from the upstream — not
 * a tool's `isError` result, which is an answer.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Consecutive failures that open the breaker (5). */
  failureThreshold: number;
  /** How long it stays open before a probe call is let through, ms (30,000). */
  openDurationMs: number;
}

/** The time source, ms (Date.now by default; tests inject a fake one). */
export type Clock = () => number;

/** What `acquire` answers: go (and report the outcome with `success` / `failure`), or not before `retryAt`. */
export type Admission = { ok: true } | { ok: false; retryAt: number };

export class CircuitBreaker {
  readonly options: Readonly<BreakerOptions>;
  readonly #clock: Clock;
  #state: BreakerState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probing = false;

  constructor(options: BreakerOptions, clock: Clock = Date.now) {
    this.options = Object.freeze({ ...options });
    this.#clock = clock;
  }

  /** The state now (an open breaker whose time is up reads half-open). */
  get state(): BreakerState {
    if (this.#state === 'open' && this.#clock() - this.#openedAt >= this.options.openDurationMs) return 'half-open';
    return this.#state;
  }

  /** Consecutive failures counted so far. */
  get failures(): number {
    return this.#failures;
  }

  /** Whether a call may go now. In half-open, the first caller becomes the probe; the others are refused. */
  acquire(): Admission {
    const state = this.state;
    if (state === 'closed') return { ok: true };
    if (state === 'half-open' && !this.#probing) {
      this.#state = 'half-open';
      this.#probing = true;
      return { ok: true };
    }
    // Open, or half-open with its probe in flight: retry once the probe could have settled.
    return { ok: false, retryAt: this.#openedAt + this.options.openDurationMs };
  }

  success(): void {
    this.#failures = 0;
    this.#probing = false;
    this.#state = 'closed';
  }

  failure(): void {
    this.#failures++;
    if (this.#state === 'half-open' || this.#failures >= this.options.failureThreshold) this.#open();
  }

  /** A call that went through but whose outcome says nothing about the upstream (the caller cancelled it). */
  release(): void {
    this.#probing = false;
  }

  #open(): void {
    this.#state = 'open';
    this.#openedAt = this.#clock();
    this.#probing = false;
  }
}
