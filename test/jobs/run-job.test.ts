import { describe, expect, it } from 'vitest'
import { AppError } from '../../shared/errors'
import { offerOf } from '../../shared/models'
import { crc32 as portableCrc32 } from '../../relay/images/crc32'
import { makePng } from '../fakes/make-image'
import { flushAsync, hostResult, NOON, RESULT_TTL_MS, setupJobs } from './jobs-setup'

const KEEP_FAILED = 'The relay could not keep the result. Try again; if it keeps happening, tell whoever runs the relay.'

describe('a run at the host', () => {
  it('is running from the start, and calls the host with the reference’s ratio and nearest size when the ratio is auto', async () => {
    const { jobs, host, store, input } = setupJobs()
    const job = await jobs.createAsync(input({ aspectRatio: 'auto' }))
    await flushAsync()
    expect((await store.getJobAsync(job.id))?.status).toBe('running')
    expect(host.calls[0]!.input).toMatchObject({ aspectRatio: '16:9', size: { width: 1392, height: 752 } })
  })

  it('with auto, asks for the host size nearest the reference itself, not the one nearest its Kontext ratio', async () => {
    const { jobs, host, input } = setupJobs()
    // 1.6:1 is nearest 3:2 among Kontext's ratios; among the dev model's sizes, 1328×800 (1.66) is nearer it than 1248×832 (1.5).
    const reference = { bytes: makePng(160, 100), contentType: 'image/png' as const, width: 160, height: 100 }
    const devInput = { ...input({ aspectRatio: 'auto' }), model: 'kontext-dev' as const, offer: offerOf('runware', 'kontext-dev')! }
    await jobs.createAsync({ ...devInput, references: [reference] })
    await flushAsync()
    expect(host.calls[0]!.input).toMatchObject({ aspectRatio: '3:2', size: { width: 1328, height: 800 } })
  })

  it('calls the host with the ratio asked for and its nearest size', async () => {
    const { jobs, host, input } = setupJobs()
    await jobs.createAsync(input({ aspectRatio: '1:1' }))
    await flushAsync()
    expect(host.calls[0]!.input).toMatchObject({ aspectRatio: '1:1', size: { width: 1024, height: 1024 } })
  })

  it('saves the host’s progress, its own queue as 0', async () => {
    const { jobs, host, store, createAsync } = setupJobs()
    const job = await createAsync()
    host.calls[0]!.input.onProgress({ status: 'running', fraction: 0.4 })
    await flushAsync()
    expect((await store.getJobAsync(job.id))?.progress).toBe(0.4)
    host.calls[0]!.input.onProgress({ status: 'queued', fraction: 0.9 })
    await flushAsync()
    expect((await store.getJobAsync(job.id))?.progress).toBe(0)
    host.answer(hostResult(1, 0.08))
    await jobs.settleAsync()
    expect((await store.getJobAsync(job.id))?.progress).toBeUndefined()
  })

  it('logs a progress the store could not save', async () => {
    const { host, store, createAsync, logged } = setupJobs()
    const job = await createAsync()
    store.putJobAsync = async () => {
      throw new Error('EIO')
    }
    host.calls[0]!.input.onProgress({ status: 'running', fraction: 0.4 })
    await flushAsync()
    expect(logged('job.progress_not_saved')).toEqual([{ jobId: job.id, error: 'Error: EIO' }])
  })

  it('a success: the images and cost kept, logged with how long it took', async () => {
    const { jobs, host, store, clock, createAsync, logged } = setupJobs()
    const job = await createAsync(2)
    clock.now = NOON + 1234
    host.answer(hostResult(2, 0.11))
    await jobs.settleAsync()
    expect(await store.getJobAsync(job.id)).toMatchObject({
      status: 'succeeded',
      costUsd: 0.11,
      costEstimated: false,
      hostJobId: 'host-1',
      expiresAt: NOON + 1234 + RESULT_TTL_MS
    })
    expect(logged('job.succeeded')).toEqual([{ jobId: job.id, provider: 'runware', images: 2, costUsd: 0.11, ms: 1234 }])
    expect(jobs.capacity().running).toBe(0)
  })

  it('checks each result’s chunk CRCs with the platform’s crc32 (Node passes native zlib’s), and refuses a bad one', async () => {
    const ranges: number[] = []
    const crc32 = (bytes: Uint8Array, start: number, end: number): number => {
      ranges.push(end - start)
      return portableCrc32(bytes, start, end)
    }
    const good = setupJobs({ deps: { images: { crc32 } } })
    const job = await good.createAsync(1)
    good.host.answer(hostResult(1, 0.04))
    await good.jobs.settleAsync()
    expect(await good.store.getJobAsync(job.id)).toMatchObject({ status: 'succeeded' })
    // IHDR, IDAT, IEND of the one result, each through the injected crc32.
    expect(ranges.length).toBeGreaterThanOrEqual(3)

    const lying = setupJobs({ deps: { images: { crc32: () => 0 } } })
    const refused = await lying.createAsync(1)
    lying.host.answer(hostResult(1, 0.04))
    await lying.jobs.settleAsync()
    expect(await lying.store.getJobAsync(refused.id)).toMatchObject({ status: 'failed', error: { code: 'provider_error' } })
  })

  it('an error that is not the relay’s own: provider_error, the error kept as the cause', async () => {
    const { jobs, host, store, clock, createAsync, logged, entryAsync } = setupJobs()
    const job = await createAsync()
    clock.now = NOON + 50
    host.answer(new TypeError('socket hang up'))
    await jobs.settleAsync()
    expect((await store.getJobAsync(job.id))?.error?.code).toBe('provider_error')
    expect(logged('job.failed')).toEqual([
      { jobId: job.id, provider: 'runware', code: 'provider_error', detail: expect.stringContaining('socket hang up'), ms: 50 }
    ])
    expect(await entryAsync(job.id)).toMatchObject({ outcome: 'failed', costUsd: 0, errorCode: 'provider_error' })
  })

  it('a host past the deadline: failed `timeout`', async () => {
    const { jobs, store, createAsync } = setupJobs({ provider: 'replicate', honorsAbort: true, deps: { providerTimeoutMs: 1 } })
    const job = await createAsync()
    await jobs.settleAsync()
    expect((await store.getJobAsync(job.id))?.error?.code).toBe('timeout')
  })

  it('a failure the store could not save: logged, the ledger still settled', async () => {
    const { jobs, host, store, createAsync, logged, entryAsync } = setupJobs()
    const job = await createAsync()
    const put = store.putJobAsync
    store.putJobAsync = async () => {
      throw new Error('EIO')
    }
    host.answer(new AppError('moderated'))
    await jobs.settleAsync()
    store.putJobAsync = put
    expect(logged('job.not_saved')).toContainEqual({ error: 'Error: EIO' })
    expect(await entryAsync(job.id)).toMatchObject({ outcome: 'failed' })
  })

  it('a result for a job swept meanwhile: logged, nothing kept', async () => {
    const { jobs, host, store, createAsync, logged, entryAsync } = setupJobs()
    const job = await createAsync()
    await store.deleteJobAsync(job.id)
    host.answer(hostResult(1, 0.08))
    await jobs.settleAsync()
    expect(logged('job.result_after_end')).toEqual([{ jobId: job.id, provider: 'runware', status: undefined, images: 1, costUsd: 0.08 }])
    expect(await store.getImageAsync(job.id, 0)).toBeUndefined()
    // The host billed it: what it reported is charged, on the job as it was last known.
    expect(await entryAsync(job.id)).toMatchObject({ outcome: 'failed', costUsd: 0.08, delivered: 0 })
  })

  it('a result after a cancel the host acted on: logged with the job’s status, nothing kept', async () => {
    const { jobs, host, store, createAsync, logged } = setupJobs({ provider: 'replicate' })
    const job = await createAsync()
    await jobs.cancelAsync(job.id, 'alice')
    host.answer(hostResult(2, 0.16))
    await jobs.settleAsync()
    expect(logged('job.result_after_end')).toEqual([{ jobId: job.id, provider: 'replicate', status: 'canceled', images: 2, costUsd: 0.16 }])
    expect(await store.getImageAsync(job.id, 0)).toBeUndefined()
  })

  it('a result after a cancel the host could not act on: kept for the owner, logged', async () => {
    const { jobs, host, store, clock, createAsync, logged } = setupJobs()
    const job = await createAsync()
    await jobs.cancelAsync(job.id, 'alice')
    clock.now = NOON + 700
    host.answer(hostResult(1, 0.08))
    await jobs.settleAsync()
    expect(await store.getJobAsync(job.id)).toMatchObject({ status: 'canceled', hostRunning: false, expiresAt: NOON + 700 + RESULT_TTL_MS })
    expect(logged('job.result_after_cancel')).toEqual([{ jobId: job.id, provider: 'runware', images: 1, costUsd: 0.08, ms: 700 }])
    expect(logged('job.result_after_end')).toEqual([])
  })

  it('a result the store could not keep: failed `internal` with words for the owner, the host’s figure charged', async () => {
    const { jobs, host, store, createAsync, logged, entryAsync } = setupJobs()
    const job = await createAsync()
    store.putImagesAsync = async () => {
      throw new Error('ENOSPC: no space left on device')
    }
    host.answer(hostResult(1, 0.05))
    await jobs.settleAsync()
    expect((await store.getJobAsync(job.id))?.error).toEqual({ code: 'internal', message: KEEP_FAILED })
    expect(logged('job.failed')).toEqual([
      { jobId: job.id, provider: 'runware', code: 'internal', detail: expect.stringContaining('ENOSPC'), ms: 0 }
    ])
    expect(await entryAsync(job.id)).toMatchObject({ outcome: 'failed', costUsd: 0.05, delivered: 0, errorCode: 'internal' })
  })

  it('a cancel that lands while the result is being written: the job stays canceled, logged, the host’s figure charged', async () => {
    const { jobs, host, store, createAsync, logged, entryAsync } = setupJobs({ provider: 'replicate' })
    const job = await createAsync()
    const put = store.putImagesAsync
    store.putImagesAsync = async (id, images) => {
      await jobs.cancelAsync(id, 'alice')
      await put(id, images)
    }
    host.answer(hostResult(1, 0.05))
    await jobs.settleAsync()
    expect((await store.getJobAsync(job.id))?.status).toBe('canceled')
    expect(logged('job.succeeded')).toEqual([])
    expect(logged('job.result_after_cancel')).toEqual([])
    expect(logged('job.result_after_end')).toEqual([{ jobId: job.id, provider: 'replicate', images: 1, costUsd: 0.05 }])
    expect(await entryAsync(job.id)).toMatchObject({ outcome: 'canceled', costUsd: 0.05, costEstimated: false, delivered: 0 })
  })

  it('a run its owner canceled: the end of its host call is not logged as a failure', async () => {
    const { jobs, createAsync, logged } = setupJobs({ provider: 'replicate', honorsAbort: true })
    const job = await createAsync()
    await jobs.cancelAsync(job.id, 'alice')
    await jobs.settleAsync()
    expect(logged('job.canceled')).toEqual([{ jobId: job.id, hostKeepsRunning: false }])
    expect(logged('job.failed')).toEqual([])
  })

  it('a host that could not cancel delivers as the relay stops following it, and the store cannot keep it: its figure is charged', async () => {
    const { jobs, host, store, createAsync, logged, entryAsync } = setupJobs()
    const job = await createAsync()
    await jobs.cancelAsync(job.id, 'alice')
    store.putImagesAsync = async () => {
      throw new Error('ENOSPC: no space left on device')
    }
    host.calls[0]!.input.signal.addEventListener('abort', () => host.answer(hostResult(1, 0.05)))
    expect(await jobs.shutdownAsync(0)).toEqual({ finished: 0, interrupted: 1 })
    // The host reported what it billed: that, not the reservation (0.08, estimated), is charged.
    expect(await entryAsync(job.id)).toMatchObject({ outcome: 'canceled', costUsd: 0.05, costEstimated: false, delivered: 0 })
    expect(logged('job.failed')).toEqual([])
  })

  it('the end of a run its host kept going after a cancel, when the store cannot save it: logged, the ledger still settled', async () => {
    const { jobs, host, store, createAsync, logged, entryAsync } = setupJobs()
    const job = await createAsync()
    await jobs.cancelAsync(job.id, 'alice')
    store.putJobAsync = async () => {
      throw new Error('EIO')
    }
    host.answer(new TypeError('socket hang up'))
    await jobs.settleAsync()
    expect(logged('job.not_saved')).toEqual([{ error: 'Error: EIO' }])
    expect(await entryAsync(job.id)).toMatchObject({ outcome: 'canceled', costUsd: 0, delivered: 0 })
  })
})
