import { TERMINAL_STATUSES, type JobStatus } from '../../shared/relay-api'
import type { RelayStore } from '../store/relay-store'
import type { JobRecord } from './job-record'

/** What a run may still change on a job that has ended (a cancel its host could not act on). */
export type LateOutcome = Pick<Partial<JobRecord>, 'images' | 'costUsd' | 'costEstimated' | 'hostJobId' | 'hostRunning' | 'expiresAt'>

/**
 * Every change to a job goes through here: changes to one job are applied one at a time, in order,
 * and each one wakes the long-polls waiting on that job.
 */
export interface JobChanges {
  /** Applies a patch to a job that has not ended; answers the new record, or undefined. */
  updateAsync(id: string, patch: Partial<JobRecord>): Promise<JobRecord | undefined>
  /** Ends a job (once: a job that has ended stays as it ended). Answers whether it ended it. */
  finishAsync(id: string, status: JobStatus, patch: Partial<JobRecord>): Promise<boolean>
  /**
   * Changes a job that has ended, for the one case where its run goes on: a cancel its host could
   * not act on. Only the run's late outcome is patched in; the status stays as it ended.
   */
  patchEndedAsync(id: string, patch: LateOutcome): Promise<JobRecord | undefined>
  /** Resolves when `job` changes, or after `ms`, or when `signal` aborts. */
  waitForChangeAsync(job: JobRecord, ms: number, signal: AbortSignal): Promise<void>
  /** Jobs whose changes are still being applied: none once they are done, so the map never grows with the jobs seen. */
  activeChains(): number
}

export function createJobChanges(deps: { store: RelayStore; now: () => number; resultTtlMs: number }): JobChanges {
  const waiters = new Map<string, Set<() => void>>()
  const chains = new Map<string, Promise<unknown>>()

  /** Runs changes to one job one after another. */
  function serialAsync<T>(id: string, runAsync: () => Promise<T>): Promise<T> {
    const previous = chains.get(id) ?? Promise.resolve()
    const next = previous.then(runAsync, runAsync)
    const settledNext = next.then(
      () => undefined,
      () => undefined
    )
    chains.set(id, settledNext)
    void settledNext.then(() => {
      if (chains.get(id) === settledNext) chains.delete(id)
    })
    return next
  }

  function wake(id: string): void {
    const listeners = waiters.get(id)
    waiters.delete(id)
    listeners?.forEach((done) => done())
  }

  /** Puts `patch` on the job when `applies` to it, in the job's order, and wakes its waiters. */
  function changeAsync(id: string, patch: Partial<JobRecord>, applies: (job: JobRecord) => boolean): Promise<JobRecord | undefined> {
    return serialAsync(id, async () => {
      const job = await deps.store.getJobAsync(id)
      if (job === undefined || !applies(job)) return undefined
      const next: JobRecord = { ...job, ...patch, updatedAt: deps.now() }
      await deps.store.putJobAsync(next)
      wake(id)
      return next
    })
  }

  const updateAsync = (id: string, patch: Partial<JobRecord>) => changeAsync(id, patch, (job) => !TERMINAL_STATUSES.includes(job.status))

  return {
    updateAsync,
    async finishAsync(id, status, patch) {
      const ended = await updateAsync(id, { expiresAt: deps.now() + deps.resultTtlMs, ...patch, status })
      return ended !== undefined
    },
    patchEndedAsync: (id, patch) => changeAsync(id, patch, (job) => job.hostRunning === true),
    async waitForChangeAsync(job, ms, signal) {
      const id = job.id
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms)
        function done(): void {
          clearTimeout(timer)
          // Stryker disable next-line StringLiteral: done is idempotent, so a listener left on the request's short-lived signal changes nothing but memory held until the request ends
          signal.removeEventListener('abort', done)
          waiters.get(id)?.delete(done)
          resolve()
        }
        // A client that went away before the wait began gets no hold at all.
        if (signal.aborted) return done()
        // Stryker disable next-line ObjectLiteral,BooleanLiteral: done is idempotent and removes this listener itself
        signal.addEventListener('abort', done, { once: true })
        const set = waiters.get(id) ?? new Set()
        set.add(done)
        waiters.set(id, set)
        // A change may have landed between the caller's read and this wait: look once more.
        void deps.store.getJobAsync(id).then((latest) => {
          if (latest === undefined || JSON.stringify(latest) !== JSON.stringify(job)) done()
        }, done)
      })
    },
    activeChains: () => chains.size
  }
}
