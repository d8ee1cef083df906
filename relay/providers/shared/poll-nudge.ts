import type { ProviderDeps } from '../provider'

/**
 * Lets a push from the host (ComfyUI's websocket, fal's status stream) cut a poll's wait short:
 * `nudge` (the job has ended) ends the current sleep, or the next one when none is under way, so
 * the poll reads the job at once. It never ends a wait with an error, and the signal's abort still does.
 */
export class PollNudge {
  private pending = false
  private wake: (() => void) | undefined

  nudge(): void {
    if (this.wake === undefined) this.pending = true
    else this.wake()
  }

  sleeper(sleepAsync: ProviderDeps['sleepAsync']): ProviderDeps['sleepAsync'] {
    return async (ms, signal) => {
      if (this.pending) {
        this.pending = false
        return
      }
      const early = new AbortController()
      this.wake = () => early.abort()
      try {
        await sleepAsync(ms, AbortSignal.any([signal, early.signal]))
      } catch (error) {
        if (signal.aborted || !early.signal.aborted) throw error
      } finally {
        this.wake = undefined
      }
    }
  }
}
