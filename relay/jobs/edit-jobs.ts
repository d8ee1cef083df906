import { AppError } from '../../shared/errors'
import type { ModelId, ModelOffer, ProviderId } from '../../shared/models'
import { TERMINAL_STATUSES, type EditRequest } from '../../shared/relay-api'
import type { Account } from '../auth/account'
import type { LogContext } from '../log/relay-log'
import type { Provider, ReferenceImage } from '../providers/provider'
import type { RelayStore } from '../store/relay-store'
import { cancelJobAsync } from './cancel-job-async'
import {
  createEditCapacity,
  DEFAULT_MAX_INFLIGHT_BYTES,
  DEFAULT_MAX_RUNNING_EDITS,
  DEFAULT_RELAY_MAX_RUNNING_EDITS,
  type CapacityLimits,
  type CapacitySnapshot,
  type EditHold
} from './edit-capacity'
import { createJobChanges } from './job-changes'
import type { JobRecord, StoredImage } from './job-record'
import type { ImagePlatform } from '../images/image-platform'
import { refuseWhileDraining, type JobsContext } from './jobs-context'
import { recoverJobsAsync } from './recover-jobs-async'
import { shutDownJobsAsync } from './shut-down-jobs-async'
import { startJobAsync } from './start-job-async'
import { visibleJobAsync } from './visible-job-async'

export interface EditJobsDeps {
  store: RelayStore
  providers: Partial<Record<ProviderId, Provider>>
  now: () => number
  randomUUID: () => string
  log: (event: string, fields: Record<string, unknown>) => void
  /** Gives each job's log lines its id (and keeps its prompt out of them); none in bare tests. */
  logContext?: LogContext
  /** LOG_PROMPTS=1: job.created carries the prompt. */
  logPrompts?: boolean
  resultTtlMs: number
  providerTimeoutMs: number
  /** Caps on edits in flight (defaults: DEFAULT_RELAY_MAX_RUNNING_EDITS, DEFAULT_MAX_INFLIGHT_BYTES). */
  capacity?: Partial<CapacityLimits>
  /** crc32 for checking results (default: the portable one; Node passes native zlib's). */
  images?: Pick<ImagePlatform, 'crc32'>
}

export interface CreateJobInput {
  /** Who asks: the owner the job and its ledger entry belong to, and the budget it counts against. */
  account: Pick<Account, 'owner' | 'dailyBudgetUsd'> & Partial<Pick<Account, 'maxRunningEdits'>>
  provider: ProviderId
  model: ModelId
  offer: ModelOffer
  request: EditRequest
  references: ReferenceImage[]
  /**
   * The place `holdPlace` took for this edit when its upload started; the job keeps it until its
   * host job ends. Without one (tests, other callers) the job takes its own.
   */
  hold?: EditHold
}

/**
 * The job state machine: queued → running → succeeded | failed | canceled. A job runs in the
 * background from the moment it is created; clients follow it with GET (optionally long-polling)
 * and may cancel it. Paid results stay until they expire, whoever is still listening.
 *
 * Money: before the host is called, the catalogue price of the variants is reserved in the ledger
 * (402 budget_exceeded when it does not fit the owner's daily budget). When the run ends it is
 * settled once: a succeeded job with the cost the host reported (or the catalogue price of the
 * images delivered, marked estimated); a failed or canceled job with 0 (released), unless the host
 * reported a cost for it. A reported cost outside [0, 10 × the catalogue price] is logged and the
 * catalogue price used. A job a shutdown or a crash cut off is failed with `interrupted`.
 *
 * Cancel: on a host that cannot stop a job (the catalogue's `cancel: false`) the job is canceled
 * for the client at once but its run goes on, holding its reservation, until the host ends; it
 * then settles as `canceled` with what the host reported, and its images stay on the canceled job
 * for its owner (see `cancelAsync`).
 *
 * Caps: each edit holds a place (edit-capacity.ts) from its upload until its host job ends.
 *
 * Every change goes through the store; changes to one job are applied one at a time, in order.
 */
export interface EditJobs {
  /**
   * Takes a place for an edit whose upload of `bytes` is about to be read, before it is read:
   * 429 past the owner's running edits, 503 past the relay's or its bytes in flight.
   */
  holdPlace(account: CreateJobInput['account'], bytes: number): EditHold
  /** What is in flight now (running edits, bytes held), for tests and the operator. */
  capacity(): CapacitySnapshot
  /** Reserves the edit's price, stores the job and starts it at the host. */
  createAsync(input: CreateJobInput): Promise<JobRecord>
  /** The job, for its owner until it expires; 404 not_found otherwise. */
  getAsync(id: string, owner: string): Promise<JobRecord>
  /**
   * A result image's bytes, for the job's owner: of a job that succeeded, or of one canceled on a
   * host that ran it to the end anyway (paid for, so the owner may still take it).
   */
  getImageAsync(id: string, owner: string, index: number): Promise<{ bytes: Uint8Array; contentType: StoredImage['contentType'] }>
  /** Answers the job when it changes, or after `ms`, or when `signal` aborts. */
  waitAsync(id: string, owner: string, ms: number, signal: AbortSignal): Promise<JobRecord>
  /**
   * Cancels for the client at once, so the answer to DELETE already says `canceled`. On a host
   * that can stop a job the run is aborted and its late outcome ignored. On one that cannot
   * (Runware, BFL, Runflow: the catalogue's `cancel: false`), aborting would only stop the relay
   * from listening while the host still runs and bills the job, and would release its price: a
   * loop of POST and DELETE would then spend without limit. So the run goes on (its deadline still
   * applies), the price stays reserved until the host ends, it settles with what the host
   * reports, and the images are kept on the canceled job for its owner.
   */
  cancelAsync(id: string, owner: string): Promise<JobRecord>
  /**
   * At start: a job the store holds as queued or running was cut off by a stop or a crash (this
   * process has not started any yet). It is recorded as failed with `interrupted`, and every
   * ended job's ledger entry is settled in case the stop came between the two writes.
   */
  recoverAsync(): Promise<{ interrupted: number; settled: number }>
  /** Drops jobs past their retention, with their images. Answers how many. */
  sweepAsync(): Promise<number>
  /** Waits for every running job (used by tests). */
  settleAsync(): Promise<void>
  /** Whether the relay has stopped taking new edits (a shutdown began). */
  readonly draining: boolean
  /**
   * On SIGTERM/SIGINT: takes no new edits, lets running ones finish for up to `graceMs`, then
   * records those still running as failed (`interrupted`) and stops their host calls.
   */
  shutdownAsync(graceMs: number): Promise<{ finished: number; interrupted: number }>
}

/** The edit jobs of one relay process, on `deps.store`; see `EditJobs`. */
export function createEditJobs(deps: EditJobsDeps): EditJobs {
  const capacity = createEditCapacity(
    {
      maxRunningEdits: deps.capacity?.maxRunningEdits ?? DEFAULT_RELAY_MAX_RUNNING_EDITS,
      maxInflightBytes: deps.capacity?.maxInflightBytes ?? DEFAULT_MAX_INFLIGHT_BYTES
    },
    deps.log
  )
  const context: JobsContext = {
    deps,
    changes: createJobChanges(deps),
    capacity,
    controllers: new Map(),
    running: new Map(),
    draining: false
  }

  function holdPlace(account: CreateJobInput['account'], bytes: number): EditHold {
    refuseWhileDraining(context)
    return capacity.hold(account.owner, account.maxRunningEdits ?? DEFAULT_MAX_RUNNING_EDITS, bytes)
  }

  return {
    holdPlace,
    capacity: () => capacity.snapshot(),
    async createAsync(input) {
      const referenceBytes = input.references.reduce((sum, reference) => sum + reference.bytes.length, 0)
      const hold = input.hold ?? holdPlace(input.account, referenceBytes)
      let started = false
      try {
        // From here the job holds its references' bytes, not the upload's declared size.
        hold.resize(referenceBytes)
        const job = await startJobAsync(context, input, hold)
        started = true
        hold.adopt()
        return job
      } finally {
        if (!started) hold.release()
      }
    },
    getAsync: (id, owner) => visibleJobAsync(context, id, owner),
    async getImageAsync(id, owner, index) {
      const job = await visibleJobAsync(context, id, owner)
      const image = (job.status === 'succeeded' || job.status === 'canceled') && Number.isInteger(index) ? job.images[index] : undefined
      const bytes = image === undefined ? undefined : await deps.store.getImageAsync(id, index)
      if (image === undefined || bytes === undefined) throw new AppError('not_found', 'This edit has no image with that number.')
      return { bytes, contentType: image.contentType }
    },
    async waitAsync(id, owner, ms, signal) {
      const job = await visibleJobAsync(context, id, owner)
      // Stryker disable next-line ConditionalExpression,EqualityOperator: a wait of 0 ms (or less) ends on its first timer tick all the same, answering the job as it is
      if (TERMINAL_STATUSES.includes(job.status) || ms <= 0) return job
      await context.changes.waitForChangeAsync(job, ms, signal)
      return visibleJobAsync(context, id, owner)
    },
    cancelAsync: (id, owner) => cancelJobAsync(context, id, owner),
    recoverAsync: () => recoverJobsAsync(context),
    async sweepAsync() {
      let removed = 0
      for (const job of await deps.store.listJobsAsync({ expiredAt: deps.now() })) {
        context.controllers.get(job.id)?.abort(new AppError('timeout'))
        await deps.store.deleteJobAsync(job.id)
        removed += 1
      }
      return removed
    },
    async settleAsync() {
      await Promise.allSettled([...context.running.values()])
    },
    get draining() {
      return context.draining
    },
    shutdownAsync: (graceMs) => shutDownJobsAsync(context, graceMs)
  }
}
