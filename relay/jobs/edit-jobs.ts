import { AppError, toRelayErrorInfo } from '../../shared/errors'
import { estimateCostUsd, type ModelId, type ModelOffer, type ProviderId } from '../../shared/models'
import { TERMINAL_STATUSES, type EditRequest, type JobStatus } from '../../shared/relay-api'
import { nearestKontextSize, nearestSize, resolveKontextSize } from '../../shared/aspect-ratios'
import { inspectImage } from '../images/inspect-image'
import type { Provider, ReferenceImage } from '../providers/provider'
import type { JobRecord, StoredImage } from './job-record'
import type { JobStore } from './job-store'

export interface EditJobsDeps {
  store: JobStore
  providers: Partial<Record<ProviderId, Provider>>
  now: () => number
  randomUUID: () => string
  log: (event: string, fields: Record<string, unknown>) => void
  resultTtlMs: number
  providerTimeoutMs: number
}

export interface CreateJobInput {
  owner: string
  provider: ProviderId
  model: ModelId
  offer: ModelOffer
  request: EditRequest
  references: ReferenceImage[]
}

/** Results from a host are re-read like any other untrusted image. */
const MAX_RESULT_PIXELS = 50_000_000

/** A broken result is the host's fault, never the designer's reference. */
function inspectResult(bytes: Uint8Array, index: number) {
  try {
    return inspectImage(bytes, `Result ${index + 1}`, MAX_RESULT_PIXELS)
  } catch (error) {
    throw new AppError('provider_error', undefined, { detail: `host result ${index + 1}: ${error instanceof Error ? error.message : String(error)}` })
  }
}

/**
 * The job state machine: queued → running → succeeded | failed | canceled. A job runs in the
 * background from the moment it is created; clients follow it with GET (optionally long-polling)
 * and may cancel it. Paid results stay until they expire, whoever is still listening.
 */
export function createEditJobs(deps: EditJobsDeps) {
  const controllers = new Map<string, AbortController>()
  const waiters = new Map<string, Set<() => void>>()
  const running = new Set<Promise<void>>()

  function update(id: string, patch: Partial<JobRecord>): JobRecord | undefined {
    const job = deps.store.get(id)
    if (job === undefined) return undefined
    const next: JobRecord = { ...job, ...patch, updatedAt: deps.now() }
    deps.store.put(next)
    const listeners = waiters.get(id)
    waiters.delete(id)
    listeners?.forEach((wake) => wake())
    return next
  }

  function finish(id: string, status: JobStatus, patch: Partial<JobRecord>): void {
    const job = deps.store.get(id)
    if (job === undefined || TERMINAL_STATUSES.includes(job.status)) return
    update(id, { ...patch, status, expiresAt: deps.now() + deps.resultTtlMs })
    controllers.delete(id)
  }

  async function runAsync(id: string, input: CreateJobInput, provider: Provider, controller: AbortController): Promise<void> {
    const started = deps.now()
    const deadline = AbortSignal.timeout(deps.providerTimeoutMs)
    const signal = AbortSignal.any([controller.signal, deadline])
    update(id, { status: 'running' })
    try {
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
          const job = deps.store.get(id)
          if (job === undefined || TERMINAL_STATUSES.includes(job.status)) return
          // The job is running on the relay's side from the start; a host's own queue shows as progress 0.
          update(id, { progress: progress.status === 'queued' ? 0 : progress.fraction })
        }
      })
      const images: StoredImage[] = result.images.map((image, index) => ({ bytes: image.bytes, ...inspectResult(image.bytes, index), seed: image.seed }))
      const costEstimated = result.costUsd === undefined
      const costUsd = result.costUsd ?? estimateCostUsd(input.offer.priceUsd, images.length)
      finish(id, 'succeeded', { images, costUsd, costEstimated, hostJobId: result.hostJobId, progress: undefined })
      deps.log('job.succeeded', { jobId: id, provider: input.provider, images: images.length, costUsd: result.costUsd, ms: deps.now() - started })
    } catch (error) {
      if (controller.signal.aborted) return
      const appError = deadline.aborted
        ? new AppError('timeout')
        : error instanceof AppError
          ? error
          : new AppError('provider_error', undefined, { detail: String(error) })
      finish(id, 'failed', { error: toRelayErrorInfo(appError) })
      deps.log('job.failed', { jobId: id, provider: input.provider, code: appError.code, detail: appError.detail, ms: deps.now() - started })
    }
  }

  function visible(id: string, owner: string): JobRecord {
    const job = deps.store.get(id)
    if (job === undefined || job.owner !== owner || job.expiresAt <= deps.now()) {
      throw new AppError('not_found', 'There is no edit with this id (it may have expired).')
    }
    return job
  }

  return {
    create(input: CreateJobInput): JobRecord {
      const provider = deps.providers[input.provider]
      if (provider === undefined) throw new AppError('provider_not_configured')
      const now = deps.now()
      const job: JobRecord = {
        id: deps.randomUUID(),
        owner: input.owner,
        status: 'queued',
        provider: input.provider,
        model: input.model,
        createdAt: now,
        updatedAt: now,
        // Unfinished jobs expire only after the host's deadline plus the retention time.
        expiresAt: now + deps.providerTimeoutMs + deps.resultTtlMs,
        images: [],
        error: undefined,
        costUsd: undefined,
        costEstimated: false,
        progress: undefined,
        hostJobId: undefined
      }
      deps.store.put(job)
      const controller = new AbortController()
      controllers.set(job.id, controller)
      const run = runAsync(job.id, input, provider, controller).finally(() => running.delete(run))
      running.add(run)
      deps.log('job.created', { jobId: job.id, provider: input.provider, model: input.model, references: input.references.length, numImages: input.request.numImages })
      return job
    },

    get: visible,

    /** Resolves when the job changes, or after `ms`, or when `signal` aborts. */
    async waitAsync(id: string, owner: string, ms: number, signal: AbortSignal): Promise<JobRecord> {
      const job = visible(id, owner)
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
      })
      return visible(id, owner)
    },

    cancel(id: string, owner: string): JobRecord {
      const job = visible(id, owner)
      if (!TERMINAL_STATUSES.includes(job.status)) {
        controllers.get(id)?.abort(new AppError('canceled'))
        // Canceled at once, so the answer to DELETE already says so; the run's late outcome is ignored.
        finish(id, 'canceled', { error: toRelayErrorInfo(new AppError('canceled')) })
        deps.log('job.canceled', { jobId: id })
      }
      return visible(id, owner)
    },

    /** Drops jobs past their retention. */
    sweep(): number {
      let removed = 0
      for (const job of [...deps.store.values()]) {
        if (job.expiresAt <= deps.now()) {
          controllers.get(job.id)?.abort(new AppError('timeout'))
          deps.store.delete(job.id)
          removed += 1
        }
      }
      return removed
    },

    /** Waits for every running job (used on shutdown and by tests). */
    async settleAsync(): Promise<void> {
      await Promise.allSettled([...running])
    }
  }
}

export type EditJobs = ReturnType<typeof createEditJobs>
