import type { ProviderDeps } from '../provider'

export interface PollOptions {
  signal: AbortSignal
  sleepAsync: ProviderDeps['sleepAsync']
  /** First wait, held for `holdMs`; hosts finish in seconds, so start near half a second (docs/hosts.md, "What every host shares"; docs/benchmarks.md for the measured delay). */
  firstMs?: number
  /** How long to keep polling at `firstMs` before backing off. */
  holdMs?: number
  factor?: number
  capMs?: number
}

/**
 * Calls `check` until it returns a value: every 0.4 s for the first 15 s, then ×1.5 each time
 * up to 5 s. Kontext edits usually finish within those first seconds, and backing off from the
 * start made the relay learn of a finished job 0.5–1.8 s late at the median (docs/benchmarks.md,
 * "Polling delay"); a held 0.5 s measured 283–321 ms, right on the 300 ms target, so 0.4 s.
 * The overall deadline is the signal's: the job aborts it.
 */
export async function pollAsync<T>(check: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const first = options.firstMs ?? 400
  const hold = options.holdMs ?? 15_000
  let delay = first
  let waited = 0
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    await options.sleepAsync(delay, options.signal)
    waited += delay
    if (waited >= hold) delay = Math.min(delay * (options.factor ?? 1.5), options.capMs ?? 5000)
  }
}
