import type { RateLimiter } from './rate-limiter'

interface Bucket {
  /** In 1/60000ths of a request, so refilling (perMinute of them a millisecond) stays exact. */
  units: number
  at: number
  perMinute: number
}

const UNITS_PER_REQUEST = 60_000

/**
 * A token bucket a key: it holds up to `perMinute` requests (a burst of a full minute's worth) and
 * refills at `perMinute` a minute. An empty bucket answers how many whole seconds until the next
 * request fits. `now` is injected so tests can move time.
 */
export function createTokenBucketLimiter(now: () => number): RateLimiter {
  const buckets = new Map<string, Bucket>()
  return {
    async takeAsync(key, perMinute) {
      const time = Math.floor(now())
      const capacity = perMinute * UNITS_PER_REQUEST
      const known = buckets.get(key)
      const bucket: Bucket =
        known === undefined || known.perMinute !== perMinute
          ? { units: capacity, at: time, perMinute }
          : { units: Math.min(capacity, known.units + Math.max(0, time - known.at) * perMinute), at: Math.max(time, known.at), perMinute }
      if (bucket.units >= UNITS_PER_REQUEST) {
        buckets.set(key, { ...bucket, units: bucket.units - UNITS_PER_REQUEST })
        return { ok: true }
      }
      buckets.set(key, bucket)
      const waitMs = Math.ceil((UNITS_PER_REQUEST - bucket.units) / perMinute)
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) }
    }
  }
}
