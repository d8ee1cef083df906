import type { ProviderProgress } from '../provider'

/** A prompt counts as complete only once its image is here: the sampler's last step shows as 99 %. */
const MAX_UNFINISHED_FRACTION = 0.99

export type CallPlace = 'submitting' | 'pending' | 'running' | 'done'
const PLACE_ORDER: Record<CallPlace, number> = { submitting: 0, pending: 1, running: 2, done: 3 }

export interface CallProgress {
  /** Places only move forward: a late `/queue` answer cannot undo what the websocket said. */
  advance(place: CallPlace): void
  /** The sampler reported `fraction` of its steps (the furthest one counts). */
  step(fraction: number): void
  readonly done: boolean
}

/**
 * One prompt's progress, as the variant engine takes a call's: queued until `/queue` or the
 * websocket says it runs, then the sampler's steps where the websocket gives them (none: running,
 * with no fraction). Only changes are passed on, in whole percents: no more job updates than the
 * panel can show.
 */
export function createCallProgress(onProgress: (progress: ProviderProgress) => void): CallProgress {
  let place: CallPlace = 'submitting'
  let fraction: number | undefined
  let reported = ''
  const report = (): void => {
    if (place === 'done') return
    let progress: ProviderProgress = { status: 'queued' }
    if (place === 'running') {
      progress =
        fraction === undefined
          ? { status: 'running' }
          : { status: 'running', fraction: Math.floor(Math.min(fraction, MAX_UNFINISHED_FRACTION) * 100 + 1e-9) / 100 }
    }
    const key = JSON.stringify(progress)
    if (key === reported) return
    reported = key
    onProgress(progress)
  }
  return {
    advance(next) {
      if (PLACE_ORDER[next] <= PLACE_ORDER[place]) return
      place = next
      report()
    },
    step(value) {
      fraction = Math.max(fraction ?? 0, value)
      report()
    },
    get done() {
      return place === 'done'
    }
  }
}
