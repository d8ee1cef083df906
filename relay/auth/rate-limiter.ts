export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number }

/**
 * Per-key request rates. Async so that a shared implementation (a Durable Object on Workers) can
 * stand in for the in-process one.
 */
export interface RateLimiter {
  /** Takes one request from `key`'s allowance of `perMinute` a minute. */
  takeAsync(key: string, perMinute: number): Promise<RateDecision>
}
