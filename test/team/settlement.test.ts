/**
 * The ledger rules of the job state machine, with a host adapter the test controls: when it
 * answers, with what cost, and whether it ignores a cancel.
 */
import { describe, expect, it } from 'vitest'
import { createEditJobs } from '../../relay/jobs/edit-jobs'
import type { Provider, ProviderResult } from '../../relay/providers/provider'
import { createMemoryStore } from '../../relay/store/memory-store'
import { AppError } from '../../shared/errors'
import { offerOf, type ProviderId } from '../../shared/models'
import { EditRequest } from '../../shared/relay-api'
import { makePng } from '../fakes/make-image'

const NOON = Date.UTC(2025, 5, 30, 12, 0, 0)
const DAY = '2025-06-30'
const REFERENCE = { bytes: makePng(64, 36), contentType: 'image/png' as const, width: 64, height: 36 }

interface Controlled {
  provider: Provider
  /** Settles the host call: with a result, or with an error. */
  answer(result: ProviderResult | Error): void
}

/** A host that answers when told, and (like a call already answered) ignores the abort signal. */
function controlledProvider(id: ProviderId): Controlled {
  let answer: (result: ProviderResult | Error) => void = () => undefined
  const answered = new Promise<ProviderResult>((resolve, reject) => {
    answer = (result) => (result instanceof Error ? reject(result) : resolve(result))
  })
  answered.catch(() => undefined)
  return { provider: { id, editAsync: () => answered }, answer: (result) => answer(result) }
}

function result(images: number, costUsd: number | undefined): ProviderResult {
  return {
    images: Array.from({ length: images }, (_, index) => ({ bytes: makePng(32, 32, index + 1), seed: index })),
    costUsd,
    hostJobId: 'host-1'
  }
}

/** Runware by default: a host that cannot cancel (the catalogue's `cancel: false`); Replicate can. */
function setup(dailyBudgetUsd: number | null = 1, provider: 'runware' | 'replicate' = 'runware') {
  const store = createMemoryStore()
  const host = controlledProvider(provider)
  const logs: Array<{ event: string; fields: Record<string, unknown> }> = []
  let id = 0
  const jobs = createEditJobs({
    store,
    providers: { [provider]: host.provider },
    now: () => NOON,
    randomUUID: () => `job-${(id += 1)}`,
    log: (event, fields) => void logs.push({ event, fields }),
    resultTtlMs: 60_000,
    providerTimeoutMs: 60_000
  })
  const create = (numImages = 1) =>
    jobs.createAsync({
      account: { owner: 'alice', dailyBudgetUsd },
      provider,
      model: 'kontext-max',
      offer: offerOf(provider, 'kontext-max')!,
      request: EditRequest.parse({ prompt: 'Make the sky purple', numImages }),
      references: [REFERENCE]
    })
  const entry = async (jobId: string) => (await store.usageEntriesAsync(DAY)).find((item) => item.jobId === jobId)
  return { store, host, jobs, create, entry, logs }
}

describe('what an edit costs the budget', () => {
  it('a succeeded edit: the cost the host reported', async () => {
    const { host, jobs, create, entry } = setup()
    const job = await create(2)
    expect(await entry(job.id)).toMatchObject({ outcome: 'pending', reservedUsd: 0.16 })
    host.answer(result(2, 0.11))
    await jobs.settleAsync()
    expect(await entry(job.id)).toMatchObject({ outcome: 'succeeded', costUsd: 0.11, costEstimated: false, delivered: 2 })
  })

  it('a succeeded edit whose host reports no cost: the catalogue price of the images delivered', async () => {
    const { host, jobs, create, entry } = setup()
    const job = await create(3)
    host.answer(result(2, undefined))
    await jobs.settleAsync()
    expect(await entry(job.id)).toMatchObject({ outcome: 'succeeded', costUsd: 0.16, costEstimated: true, delivered: 2 })
  })

  it('a failed edit: released', async () => {
    const { host, jobs, create, entry } = setup()
    const job = await create()
    host.answer(new AppError('provider_unavailable'))
    await jobs.settleAsync()
    expect(await entry(job.id)).toMatchObject({ outcome: 'failed', costUsd: 0, errorCode: 'provider_unavailable' })
  })

  it('a failed edit whose host still reported a cost (a broken result): charged that cost', async () => {
    const { host, jobs, create, entry, store } = setup()
    const job = await create()
    host.answer({ images: [{ bytes: new Uint8Array([1, 2, 3]), seed: 1 }], costUsd: 0.08, hostJobId: 'h' })
    await jobs.settleAsync()
    expect((await store.getJobAsync(job.id))?.error?.code).toBe('provider_error')
    expect(await entry(job.id)).toMatchObject({ outcome: 'failed', costUsd: 0.08, errorCode: 'provider_error' })
  })

  it('a canceled edit on a host that can cancel: released, even when the host answers afterwards without a cost', async () => {
    const { host, jobs, create, entry, store } = setup(1, 'replicate')
    const job = await create()
    await jobs.cancelAsync(job.id, 'alice')
    host.answer(result(1, undefined))
    await jobs.settleAsync()
    expect(await entry(job.id)).toMatchObject({ outcome: 'canceled', costUsd: 0 })
    expect((await store.getJobAsync(job.id))?.status).toBe('canceled')
  })

  it('a canceled edit a host that can cancel finished and billed anyway: charged what the host reported, and no image is kept', async () => {
    const { host, jobs, create, entry, store } = setup(1, 'replicate')
    const job = await create()
    await jobs.cancelAsync(job.id, 'alice')
    host.answer(result(1, 0.08))
    await jobs.settleAsync()
    expect(await entry(job.id)).toMatchObject({ outcome: 'canceled', costUsd: 0.08, errorCode: 'canceled' })
    expect(await store.getImageAsync(job.id, 0)).toBeUndefined()
    await expect(jobs.getImageAsync(job.id, 'alice', 0)).rejects.toMatchObject({ code: 'not_found' })
  })

  it('a canceled edit on a host that cannot cancel: canceled at once, its price held until the host ends, then charged and its images kept for the owner', async () => {
    const { host, jobs, create, entry, store } = setup()
    const job = await create()
    const canceled = await jobs.cancelAsync(job.id, 'alice')
    expect(canceled).toMatchObject({ status: 'canceled', hostRunning: true, error: { code: 'canceled' } })
    expect(canceled.error?.message).toMatch(/Runware cannot stop an edit it has started: it runs to the end and is billed/)
    expect(await entry(job.id)).toMatchObject({ outcome: 'pending', reservedUsd: 0.08 })
    host.answer(result(1, 0.08))
    await jobs.settleAsync()
    expect(await entry(job.id)).toMatchObject({ outcome: 'canceled', costUsd: 0.08, delivered: 1, errorCode: 'canceled' })
    const ended = await store.getJobAsync(job.id)
    expect(ended).toMatchObject({ status: 'canceled', hostRunning: false, costUsd: 0.08 })
    expect(ended?.images).toHaveLength(1)
    expect((await jobs.getImageAsync(job.id, 'alice', 0)).contentType).toBe('image/png')
  })

  it('a canceled edit on a host that cannot cancel, whose host reports no cost: the catalogue price of the images delivered', async () => {
    const { host, jobs, create, entry } = setup()
    const job = await create(2)
    await jobs.cancelAsync(job.id, 'alice')
    host.answer(result(2, undefined))
    await jobs.settleAsync()
    expect(await entry(job.id)).toMatchObject({ outcome: 'canceled', costUsd: 0.16, costEstimated: true, delivered: 2 })
  })

  it('a canceled edit on a host that cannot cancel, whose host run fails: released once the host ends', async () => {
    const { host, jobs, create, entry, store } = setup()
    const job = await create()
    await jobs.cancelAsync(job.id, 'alice')
    expect(await entry(job.id)).toMatchObject({ outcome: 'pending' })
    host.answer(new AppError('provider_unavailable'))
    await jobs.settleAsync()
    expect(await entry(job.id)).toMatchObject({ outcome: 'canceled', costUsd: 0 })
    expect(await store.getJobAsync(job.id)).toMatchObject({ status: 'canceled', hostRunning: false, images: [] })
  })

  it('a canceled edit on a host that cannot cancel, when the relay stops before the host ends: its reservation is charged, not released', async () => {
    const { jobs, create, entry } = setup()
    const job = await create()
    await jobs.cancelAsync(job.id, 'alice')
    await jobs.shutdownAsync(0)
    expect(await entry(job.id)).toMatchObject({ outcome: 'canceled', costUsd: 0.08, costEstimated: true, errorCode: 'canceled' })
  })

  it('a canceled edit on a host that cannot cancel, cut off by a crash: the next start charges its reservation', async () => {
    const { jobs, create, entry, store } = setup()
    const job = await create()
    await jobs.cancelAsync(job.id, 'alice')
    // A new relay on the same store, as after a crash (the first one's host call never ends).
    const restarted = createEditJobs({
      store,
      providers: {},
      now: () => NOON,
      randomUUID: () => 'unused',
      log: () => undefined,
      resultTtlMs: 60_000,
      providerTimeoutMs: 60_000
    })
    expect(await restarted.recoverAsync()).toEqual({ interrupted: 0, settled: 1 })
    expect(await entry(job.id)).toMatchObject({ outcome: 'canceled', costUsd: 0.08, costEstimated: true })
    expect(await store.getJobAsync(job.id)).toMatchObject({ status: 'canceled', hostRunning: false })
  })

  it('a result the store cannot keep: failed `internal`, charged what the host reported, the store’s error logged as the cause', async () => {
    const { host, jobs, create, entry, store, logs } = setup()
    store.putImagesAsync = async () => {
      throw new Error('ENOSPC: disk full')
    }
    const job = await create()
    host.answer(result(1, 0.07))
    await jobs.settleAsync()
    expect(await store.getJobAsync(job.id)).toMatchObject({ status: 'failed', error: { code: 'internal' }, images: [] })
    expect(await entry(job.id)).toMatchObject({ outcome: 'failed', costUsd: 0.07, errorCode: 'internal' })
    expect(logs.find((line) => line.event === 'job.failed')?.fields).toMatchObject({
      code: 'internal',
      detail: 'store: Error: ENOSPC: disk full'
    })
  })

  it('a refused edit leaves no job and no entry', async () => {
    const { create, store } = setup(0.1)
    await create()
    await expect(create()).rejects.toMatchObject({ code: 'budget_exceeded' })
    expect(await store.listJobsAsync()).toHaveLength(1)
    expect(await store.usageEntriesAsync(DAY)).toHaveLength(1)
  })
})
