import { AppError, toRelayErrorInfo } from '../../shared/errors'
import { estimateCostUsd, PROVIDERS, type ModelId, type ModelOffer, type ProviderId } from '../../shared/models'
import { TERMINAL_STATUSES, type EditRequest, type JobStatus } from '../../shared/relay-api'
import { nearestKontextSize, nearestSize, resolveKontextSize } from '../../shared/aspect-ratios'
import type { Account } from '../auth/accounts'
import type { LogContext } from '../log/relay-log'
import type { Provider, ProviderResult, ReferenceImage } from '../providers/provider'
import type { RelayStore } from '../store/relay-store'
import { utcDay, type UsageEntry } from '../usage/usage'
import { boundCost, keepAsked, storedImagesOf, type ResultCost } from './bound-result'
import { createEditCapacity, DEFAULT_MAX_INFLIGHT_BYTES, DEFAULT_MAX_RUNNING_EDITS, DEFAULT_RELAY_MAX_RUNNING_EDITS, type CapacityLimits, type EditHold } from './edit-capacity'
import type { JobRecord, StoredImage } from './job-record'

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
/** After the grace time, how long aborted host calls get to unwind before shutdown goes on. */
const ABORT_UNWIND_MS = 2_000

const RESTARTED = 'The relay restarted while this edit was running, so its result was lost. Run the edit again.'
const STOPPED = 'The relay was stopped before this edit finished, so its result was lost. Run the edit again.'

/**
 * What a cancel answers on a host that cannot stop a job (the catalogue's `cancel: false`): the
 * edit is canceled for the client, but the host runs it to the end and bills it.
 */
function keepsRunningMessage(provider: ProviderId): string {
  return `Canceled. ${PROVIDERS[provider].name} cannot stop an edit it has started: it runs to the end and is billed, so its price stays held on your budget until then, and its images will show on this edit when it ends.`
}

function money(usd: number): string {
  return `$${usd.toFixed(2)}`
}

/** Waits for `work` or `ms`, whichever is first, and leaves no timer behind. */
async function waitAtMostAsync(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
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
export function createEditJobs(deps: EditJobsDeps) {
  const controllers = new Map<string, AbortController>()
  const waiters = new Map<string, Set<() => void>>()
  const running = new Map<string, Promise<void>>()
  const chains = new Map<string, Promise<unknown>>()
  const capacity = createEditCapacity(
    { maxRunningEdits: deps.capacity?.maxRunningEdits ?? DEFAULT_RELAY_MAX_RUNNING_EDITS, maxInflightBytes: deps.capacity?.maxInflightBytes ?? DEFAULT_MAX_INFLIGHT_BYTES },
    deps.log
  )
  let draining = false

  /** Takes a place for one edit of `account` holding `bytes`, or throws 429 / 503 (see edit-capacity.ts). */
  function holdPlace(account: CreateJobInput['account'], bytes: number): EditHold {
    if (draining) throw new AppError('interrupted', 'The relay is restarting and takes no new edits. Try again in a minute.', { retryAfterSeconds: 30 })
    return capacity.hold(account.owner, account.maxRunningEdits ?? DEFAULT_MAX_RUNNING_EDITS, bytes)
  }

  /** Runs changes to one job one after another. */
  function serial<T>(id: string, change: () => Promise<T>): Promise<T> {
    const previous = chains.get(id) ?? Promise.resolve()
    const next = previous.then(change, change)
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

  /** Applies a patch to a job that has not ended; answers the new record, or undefined. */
  function update(id: string, patch: Partial<JobRecord>): Promise<JobRecord | undefined> {
    return serial(id, async () => {
      const job = await deps.store.getJobAsync(id)
      if (job === undefined || TERMINAL_STATUSES.includes(job.status)) return undefined
      const next: JobRecord = { ...job, ...patch, updatedAt: deps.now() }
      await deps.store.putJobAsync(next)
      wake(id)
      return next
    })
  }

  /** Ends a job (once: a job that has ended stays as it ended). Answers whether it ended it. */
  async function finish(id: string, status: JobStatus, patch: Partial<JobRecord>): Promise<boolean> {
    const ended = await update(id, { expiresAt: deps.now() + deps.resultTtlMs, ...patch, status })
    return ended !== undefined
  }

  /** Settles the job's ledger entry (idempotent: the first settlement wins). */
  async function settle(job: Pick<JobRecord, 'id' | 'createdAt'>, outcome: 'succeeded' | 'failed' | 'canceled', result: { costUsd: number; costEstimated: boolean; delivered: number } | undefined, errorCode?: string): Promise<boolean> {
    try {
      return await deps.store.settleUsageAsync(utcDay(job.createdAt), job.id, {
        outcome,
        costUsd: result?.costUsd ?? 0,
        costEstimated: result?.costEstimated ?? false,
        delivered: result?.delivered ?? 0,
        ...(errorCode === undefined ? {} : { errorCode }),
        endedAt: deps.now()
      })
    } catch (error) {
      deps.log('usage.settle_failed', { jobId: job.id, error: error instanceof Error ? error.message : String(error) })
      return false
    }
  }

  /**
   * Changes a job that has ended, for the one case where its run goes on: a cancel its host could
   * not act on. Only the run's late outcome is patched in; the status stays as it ended.
   */
  function patchEnded(id: string, patch: Pick<Partial<JobRecord>, 'images' | 'costUsd' | 'costEstimated' | 'hostJobId' | 'hostRunning' | 'expiresAt'>): Promise<JobRecord | undefined> {
    return serial(id, async () => {
      const job = await deps.store.getJobAsync(id)
      if (job === undefined || job.hostRunning !== true) return undefined
      const next: JobRecord = { ...job, ...patch, updatedAt: deps.now() }
      await deps.store.putJobAsync(next)
      wake(id)
      return next
    })
  }

  /**
   * Ends the run's ledger entry: a job that delivered images (succeeded, or canceled on a host that
   * ran it anyway) costs what the host reported (or the catalogue price); a failed or canceled one
   * without images is released, unless the host reported a cost for it.
   */
  async function settleRun(id: string, base: JobRecord, cost: ResultCost | undefined): Promise<void> {
    const job = (await deps.store.getJobAsync(id)) ?? base
    const outcome = job.status === 'succeeded' ? 'succeeded' : job.status === 'canceled' ? 'canceled' : 'failed'
    const delivered = outcome === 'failed' ? 0 : job.images.length
    const charged = cost !== undefined && (delivered > 0 || cost.hostBilled) ? { costUsd: cost.costUsd, costEstimated: cost.costEstimated, delivered } : undefined
    await settle(job, outcome, charged, job.error?.code)
  }

  async function runAsync(job: JobRecord, input: CreateJobInput, provider: Provider, controller: AbortController, hold: EditHold): Promise<void> {
    const id = job.id
    const started = deps.now()
    const deadline = AbortSignal.timeout(deps.providerTimeoutMs)
    const signal = AbortSignal.any([controller.signal, deadline])
    let cost: ResultCost | undefined
    try {
      await update(id, { status: 'running' })
      const reference = input.references[0]!
      // The requested ratio (or the reference's), then the host's own nearest output size.
      const ratio = input.request.aspectRatio === 'auto' ? nearestKontextSize(reference.width, reference.height) : resolveKontextSize(input.request.aspectRatio, reference)
      const result = await provider.editAsync({
        request: input.request,
        model: input.model,
        offer: input.offer,
        size: nearestSize(input.offer.sizes, input.request.aspectRatio === 'auto' ? reference.width : ratio.width, input.request.aspectRatio === 'auto' ? reference.height : ratio.height),
        aspectRatio: ratio.ratio,
        references: input.references,
        signal,
        onProgress: (progress) => {
          // The job is running on the relay's side from the start; a host's own queue shows as progress 0.
          update(id, { progress: progress.status === 'queued' ? 0 : progress.fraction }).catch((error: unknown) => deps.log('job.progress_not_saved', { jobId: id, error: String(error) }))
        }
      })
      // Bounded before anything is kept: no more images than asked, a believable cost, placeable sizes.
      const kept = keepAsked(result.images, input.request.numImages, deps.log)
      cost = boundCost(result.costUsd, input.offer.priceUsd, input.request.numImages, kept.length, deps.log)
      const images = storedImagesOf(kept)
      const current = await deps.store.getJobAsync(id)
      const keepsResult = current !== undefined && (!TERMINAL_STATUSES.includes(current.status) || current.hostRunning === true)
      if (current !== undefined && keepsResult) {
        // The bytes first: a job that lists images always has them.
        await deps.store.putImagesAsync(
          id,
          kept.map((image) => image.bytes)
        ).catch((error: unknown) => {
          throw new AppError('internal', 'The relay could not keep the result. Try again; if it keeps happening, tell whoever runs the relay.', { detail: `store: ${error instanceof Error ? error.message : String(error)}` })
        })
        const outcome = { images, costUsd: cost.costUsd, costEstimated: cost.costEstimated, hostJobId: result.hostJobId }
        const succeeded = current.hostRunning !== true && (await finish(id, 'succeeded', { ...outcome, progress: undefined }))
        if (succeeded) {
          deps.log('job.succeeded', { jobId: id, provider: input.provider, images: images.length, costUsd: result.costUsd, ms: deps.now() - started })
        } else if ((await patchEnded(id, { ...outcome, hostRunning: false, expiresAt: deps.now() + deps.resultTtlMs })) !== undefined) {
          // Canceled by its owner (maybe just now) on a host that ran it anyway: paid for, so kept for the owner.
          deps.log('job.result_after_cancel', { jobId: id, provider: input.provider, images: images.length, costUsd: cost.costUsd, ms: deps.now() - started })
        } else {
          deps.log('job.result_after_end', { jobId: id, provider: input.provider, images: images.length, costUsd: cost.costUsd })
        }
      } else {
        deps.log('job.result_after_end', { jobId: id, provider: input.provider, status: current?.status, images: result.images.length, costUsd: cost.costUsd })
      }
    } catch (error) {
      if (controller.signal.aborted && !deadline.aborted) {
        // Canceled or stopped: that path already recorded the job.
      } else {
        const appError = deadline.aborted
          ? new AppError('timeout')
          : error instanceof AppError
            ? error
            : new AppError('provider_error', undefined, { detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) })
        await finish(id, 'failed', { error: toRelayErrorInfo(appError), progress: undefined }).catch((saveError: unknown) => deps.log('job.not_saved', { error: String(saveError) }))
        deps.log('job.failed', { jobId: id, provider: input.provider, code: appError.code, detail: appError.detail, ms: deps.now() - started })
      }
    } finally {
      controllers.delete(id)
      // A canceled job whose host run ended without a result: nothing is coming any more. If the
      // relay itself stopped following it (shutdown, retention), the host still runs and bills it:
      // the reservation is charged, as recovery does after a crash.
      const stoppedFollowing = controller.signal.aborted && !deadline.aborted && cost === undefined
      const ended = await patchEnded(id, { hostRunning: false }).catch((error: unknown) => void deps.log('job.not_saved', { error: String(error) }))
      if (ended !== undefined && stoppedFollowing) cost = { costUsd: job.reservedUsd, costEstimated: true, hostBilled: true }
      await settleRun(id, job, cost)
      hold.release()
    }
  }

  /** Reserves the edit's price, stores the job and starts its run, which keeps `hold` until it ends. */
  async function startAsync(input: CreateJobInput, hold: EditHold): Promise<JobRecord> {
    if (draining) throw new AppError('interrupted', 'The relay is restarting and takes no new edits. Try again in a minute.', { retryAfterSeconds: 30 })
    const provider = deps.providers[input.provider]
    if (provider === undefined) throw new AppError('provider_not_configured')
    const now = deps.now()
    const reservedUsd = estimateCostUsd(input.offer.priceUsd, input.request.numImages)
    const job: JobRecord = {
      id: deps.randomUUID(),
      owner: input.account.owner,
      status: 'queued',
      provider: input.provider,
      model: input.model,
      createdAt: now,
      updatedAt: now,
      // Unfinished jobs expire only after the host's deadline plus the retention time.
      expiresAt: now + deps.providerTimeoutMs + deps.resultTtlMs,
      numImages: input.request.numImages,
      reservedUsd,
      images: [],
      costEstimated: false
    }
    // The job first, then the reservation: a crash between them leaves a job that recovery
    // marks interrupted, never a reservation that nothing settles.
    await deps.store.putJobAsync(job)
    const entry: UsageEntry = {
      jobId: job.id,
      owner: job.owner,
      day: utcDay(now),
      createdAt: now,
      provider: input.provider,
      model: input.model,
      images: input.request.numImages,
      reservedUsd,
      outcome: 'pending'
    }
    const reservation = await deps.store.reserveUsageAsync(entry, input.account.dailyBudgetUsd).catch(async (error: unknown) => {
      await deps.store.deleteJobAsync(job.id)
      throw error
    })
    if (!reservation.ok) {
      await deps.store.deleteJobAsync(job.id)
      const budget = input.account.dailyBudgetUsd ?? 0
      deps.log('job.refused_budget', { owner: job.owner, dailyBudgetUsd: budget, chargedUsd: reservation.chargedUsd, priceUsd: reservedUsd })
      throw new AppError(
        'budget_exceeded',
        `This edit (about ${money(reservedUsd)}) does not fit your daily budget of ${money(budget)} on this relay: ${money(reservation.chargedUsd)} is spent or held by running edits today. It starts again at midnight UTC, or ask whoever runs the relay to raise it.`
      )
    }
    const logCreated = () =>
      deps.log('job.created', {
        jobId: job.id,
        owner: job.owner,
        provider: input.provider,
        model: input.model,
        references: input.references.length,
        numImages: input.request.numImages,
        reservedUsd,
        ...(deps.logPrompts === true ? { prompt: input.request.prompt } : {})
      })
    if (deps.logContext === undefined) logCreated()
    else deps.logContext.run({ jobId: job.id, prompt: input.request.prompt }, logCreated)
    const controller = new AbortController()
    controllers.set(job.id, controller)
    const start = () => runAsync(job, input, provider, controller, hold)
    const run = (deps.logContext === undefined ? start() : deps.logContext.run({ jobId: job.id, prompt: input.request.prompt }, start)).finally(() => running.delete(job.id))
    running.set(job.id, run)
    return job
  }

  async function visibleAsync(id: string, owner: string): Promise<JobRecord> {
    const job = await deps.store.getJobAsync(id)
    if (job === undefined || job.owner !== owner || job.expiresAt <= deps.now()) {
      throw new AppError('not_found', 'There is no edit with this id (it may have expired).')
    }
    return job
  }

  /** Records a job that cannot finish here any more: failed with `interrupted`, ledger released. */
  async function interruptAsync(job: JobRecord, message: string): Promise<void> {
    await finish(job.id, 'failed', { error: { code: 'interrupted', message }, progress: undefined })
    await settle(job, 'failed', undefined, 'interrupted')
  }

  return {
    /**
     * Takes a place for an edit whose upload of `bytes` is about to be read, before it is read:
     * 429 past the owner's running edits, 503 past the relay's or its bytes in flight.
     */
    holdPlace,

    /** What is in flight now (running edits, bytes held), for tests and the operator. */
    capacity: () => capacity.snapshot(),

    /** Reserves the edit's price, stores the job and starts it at the host. */
    async createAsync(input: CreateJobInput): Promise<JobRecord> {
      const referenceBytes = input.references.reduce((sum, reference) => sum + reference.bytes.length, 0)
      const hold = input.hold ?? holdPlace(input.account, referenceBytes)
      let started = false
      try {
        // From here the job holds its references' bytes, not the upload's declared size.
        hold.resize(referenceBytes)
        const job = await startAsync(input, hold)
        started = true
        hold.adopt()
        return job
      } finally {
        if (!started) hold.release()
      }
    },
    getAsync: visibleAsync,

    /**
     * A result image's bytes, for the job's owner: of a job that succeeded, or of one canceled on a
     * host that ran it to the end anyway (paid for, so the owner may still take it).
     */
    async getImageAsync(id: string, owner: string, index: number): Promise<{ bytes: Uint8Array; contentType: StoredImage['contentType'] }> {
      const job = await visibleAsync(id, owner)
      const image = (job.status === 'succeeded' || job.status === 'canceled') && Number.isInteger(index) ? job.images[index] : undefined
      const bytes = image === undefined ? undefined : await deps.store.getImageAsync(id, index)
      if (image === undefined || bytes === undefined) throw new AppError('not_found', 'This edit has no image with that number.')
      return { bytes, contentType: image.contentType }
    },

    /** Resolves when the job changes, or after `ms`, or when `signal` aborts. */
    async waitAsync(id: string, owner: string, ms: number, signal: AbortSignal): Promise<JobRecord> {
      const job = await visibleAsync(id, owner)
      if (TERMINAL_STATUSES.includes(job.status) || ms <= 0) return job
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms)
        function done(): void {
          clearTimeout(timer)
          signal.removeEventListener('abort', done)
          waiters.get(id)?.delete(done)
          resolve()
        }
        signal.addEventListener('abort', done, { once: true })
        const set = waiters.get(id) ?? new Set()
        set.add(done)
        waiters.set(id, set)
        // A change may have landed between the read above and this wait: look once more.
        void deps.store.getJobAsync(id).then((latest) => {
          if (latest === undefined || JSON.stringify(latest) !== JSON.stringify(job)) done()
        }, done)
      })
      return visibleAsync(id, owner)
    },

    /**
     * Cancels for the client at once, so the answer to DELETE already says `canceled`. On a host
     * that can stop a job the run is aborted and its late outcome ignored. On one that cannot
     * (Runware, BFL, Runflow: the catalogue's `cancel: false`), aborting would only stop the relay
     * from listening while the host still runs and bills the job, and would release its price: a
     * loop of POST and DELETE would then spend without limit. So the run goes on (its deadline still
     * applies), the price stays reserved until the host ends, it settles with what the host
     * reports, and the images are kept on the canceled job for its owner.
     */
    async cancelAsync(id: string, owner: string): Promise<JobRecord> {
      const job = await visibleAsync(id, owner)
      if (!TERMINAL_STATUSES.includes(job.status)) {
        const controller = controllers.get(id)
        const hostKeepsRunning = controller !== undefined && !PROVIDERS[job.provider].cancel
        const ended = hostKeepsRunning
          ? await finish(id, 'canceled', {
              error: toRelayErrorInfo(new AppError('canceled', keepsRunningMessage(job.provider))),
              progress: undefined,
              hostRunning: true,
              // Kept until the host's deadline has passed, then for the usual retention.
              expiresAt: deps.now() + deps.providerTimeoutMs + deps.resultTtlMs
            })
          : await finish(id, 'canceled', { error: toRelayErrorInfo(new AppError('canceled')), progress: undefined })
        if (!hostKeepsRunning) controller?.abort(new AppError('canceled'))
        if (ended) deps.log('job.canceled', { jobId: id, hostKeepsRunning })
        // No run here to settle it (another process's, or one that already ended): release it now.
        if (controller === undefined) await settle(job, 'canceled', undefined, 'canceled')
      }
      return visibleAsync(id, owner)
    },

    /**
     * At start: a job the store holds as queued or running was cut off by a stop or a crash (this
     * process has not started any yet). It is recorded as failed with `interrupted`, and every
     * ended job's ledger entry is settled in case the stop came between the two writes.
     */
    async recoverAsync(): Promise<{ interrupted: number; settled: number }> {
      let interrupted = 0
      let settledCount = 0
      for (const job of await deps.store.listJobsAsync()) {
        if (running.has(job.id)) continue
        if (!TERMINAL_STATUSES.includes(job.status)) {
          await interruptAsync(job, RESTARTED)
          interrupted += 1
          deps.log('job.interrupted', { jobId: job.id, owner: job.owner, provider: job.provider, status: job.status, reason: 'restart' })
        } else if (job.hostRunning === true) {
          // Canceled on a host that cannot stop, and cut off before the host ended: the host ran and
          // billed it, but its figure is lost, so the reservation (the catalogue price) is charged.
          await patchEnded(job.id, { hostRunning: false })
          if (await settle(job, 'canceled', { costUsd: job.reservedUsd, costEstimated: true, delivered: 0 }, 'canceled')) settledCount += 1
        } else {
          const changed = await settle(
            job,
            job.status === 'succeeded' ? 'succeeded' : job.status === 'canceled' ? 'canceled' : 'failed',
            job.status === 'succeeded' ? { costUsd: job.costUsd ?? 0, costEstimated: job.costEstimated, delivered: job.images.length } : undefined,
            job.error?.code
          )
          if (changed) settledCount += 1
        }
      }
      if (interrupted + settledCount > 0) deps.log('relay.recovered', { interrupted, settled: settledCount })
      return { interrupted, settled: settledCount }
    },

    /** Drops jobs past their retention, with their images. */
    async sweepAsync(): Promise<number> {
      let removed = 0
      for (const job of await deps.store.listJobsAsync({ expiredAt: deps.now() })) {
        controllers.get(job.id)?.abort(new AppError('timeout'))
        await deps.store.deleteJobAsync(job.id)
        removed += 1
      }
      return removed
    },

    /** Waits for every running job (used by tests). */
    async settleAsync(): Promise<void> {
      await Promise.allSettled([...running.values()])
    },

    /** Whether the relay still takes new edits. */
    get draining(): boolean {
      return draining
    },

    /**
     * On SIGTERM/SIGINT: takes no new edits, lets running ones finish for up to `graceMs`, then
     * records those still running as failed (`interrupted`) and stops their host calls.
     */
    async shutdownAsync(graceMs: number): Promise<{ finished: number; interrupted: number }> {
      draining = true
      const inFlight = running.size
      if (inFlight > 0) {
        deps.log('relay.draining', { running: inFlight, graceMs })
        await waitAtMostAsync(Promise.allSettled([...running.values()]), graceMs)
      }
      const left = [...controllers.keys()]
      for (const id of left) {
        const job = await deps.store.getJobAsync(id)
        if (job !== undefined && !TERMINAL_STATUSES.includes(job.status)) {
          await finish(id, 'failed', { error: { code: 'interrupted', message: STOPPED }, progress: undefined })
          deps.log('job.interrupted', { jobId: id, owner: job.owner, provider: job.provider, reason: 'shutdown' })
        }
        controllers.get(id)?.abort(new AppError('interrupted', STOPPED))
      }
      // Aborted host calls unwind and settle their ledger entries; a host call that ignores the
      // abort is not waited for, and its entry is released here.
      await waitAtMostAsync(Promise.allSettled([...running.values()]), ABORT_UNWIND_MS)
      for (const id of left) {
        const job = await deps.store.getJobAsync(id)
        // A canceled edit its host still runs will be billed: its reservation is charged, not released.
        if (job?.hostRunning === true) await settle(job, 'canceled', { costUsd: job.reservedUsd, costEstimated: true, delivered: 0 }, 'canceled')
        else if (job !== undefined) await settle(job, 'failed', undefined, 'interrupted')
      }
      return { finished: inFlight - left.length, interrupted: left.length }
    }
  }
}

export type EditJobs = ReturnType<typeof createEditJobs>
