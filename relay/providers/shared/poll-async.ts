import type { ProviderDeps } from '../provider'

export interface PollOptions {
  signal: AbortSignal
  sleepAsync: ProviderDeps['sleepAsync']
  /** First wait; hosts finish in seconds, so start near half a second (providers.md §7.4). */
  firstMs?: number
  factor?: number
  capMs?: number
}

/**
 * Calls `check` until it returns a value, waiting 0.5 s, then ×1.5 each time up to 5 s. The
 * overall deadline is the signal's: the job aborts it.
 */
export async function pollAsync<T>(check: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  let delay = options.firstMs ?? 500
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    await options.sleepAsync(delay, options.signal)
    delay = Math.min(delay * (options.factor ?? 1.5), options.capMs ?? 5000)
  }
}
