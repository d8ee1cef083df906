import { describe, expect, it } from 'vitest'
import { createEditJobs } from '../../relay/jobs/edit-jobs'
import { hostResult, NOON, putForeignJobAsync, RESULT_TTL_MS, setupJobs } from './jobs-setup'

const RESTARTED = 'The relay restarted while this edit was running, so its result was lost. Run the edit again.'

describe('recoverAsync: jobs a stop or a crash cut off', () => {
  it.each(['queued', 'running'] as const)('a %s job: failed `interrupted`, its reservation released, logged', async (status) => {
    const { jobs, store, entryAsync, logged } = setupJobs()
    await putForeignJobAsync(store, { id: 'cut', status, progress: 0.5 })
    expect(await jobs.recoverAsync()).toEqual({ interrupted: 1, settled: 0 })
    const job = await store.getJobAsync('cut')
    expect(job).toMatchObject({ status: 'failed', error: { code: 'interrupted', message: RESTARTED }, expiresAt: NOON + RESULT_TTL_MS })
    expect(job?.progress).toBeUndefined()
    expect(await entryAsync('cut')).toMatchObject({ outcome: 'failed', costUsd: 0, delivered: 0, errorCode: 'interrupted' })
    expect(logged('job.interrupted')).toEqual([{ jobId: 'cut', owner: 'alice', provider: 'runware', status, reason: 'restart' }])
    expect(logged('relay.recovered')).toEqual([{ interrupted: 1, settled: 0 }])
  })

  it('a canceled job whose entry was never settled: settled as canceled (not failed), released', async () => {
    const { jobs, store, entryAsync } = setupJobs()
    await putForeignJobAsync(store, { id: 'gone', status: 'canceled', error: { code: 'canceled', message: 'The edit was canceled.' } })
    expect(await jobs.recoverAsync()).toEqual({ interrupted: 0, settled: 1 })
    expect(await entryAsync('gone')).toMatchObject({
      outcome: 'canceled',
      costUsd: 0,
      costEstimated: false,
      delivered: 0,
      errorCode: 'canceled'
    })
    expect((await store.getJobAsync('gone'))?.status).toBe('canceled')
  })

  it('a failed job whose entry was never settled: settled as failed with its code', async () => {
    const { jobs, store, entryAsync, logged } = setupJobs()
    await putForeignJobAsync(store, { id: 'bad', status: 'failed', error: { code: 'moderated', message: 'no' } })
    expect(await jobs.recoverAsync()).toEqual({ interrupted: 0, settled: 1 })
    expect(await entryAsync('bad')).toMatchObject({ outcome: 'failed', costUsd: 0, errorCode: 'moderated' })
    expect(logged('relay.recovered')).toEqual([{ interrupted: 0, settled: 1 }])
  })

  it('a succeeded job whose entry was never settled: charged its cost and its images, with no error code', async () => {
    const { jobs, store, entryAsync } = setupJobs()
    const image = { contentType: 'image/png' as const, width: 2, height: 2, byteLength: 10 }
    await putForeignJobAsync(store, { id: 'done', status: 'succeeded', costUsd: 0.05, costEstimated: true, images: [image, image] })
    expect(await jobs.recoverAsync()).toEqual({ interrupted: 0, settled: 1 })
    const entry = await entryAsync('done')
    expect(entry).toMatchObject({ outcome: 'succeeded', costUsd: 0.05, costEstimated: true, delivered: 2, endedAt: NOON })
    expect(entry).not.toHaveProperty('errorCode')
  })

  it('a canceled job its host was still running: charged its reservation as an estimate, no longer marked running', async () => {
    const { jobs, store, entryAsync } = setupJobs()
    const error = { code: 'canceled' as const, message: 'Canceled.' }
    await putForeignJobAsync(store, { id: 'billed', status: 'canceled', hostRunning: true, reservedUsd: 0.08, error })
    expect(await jobs.recoverAsync()).toEqual({ interrupted: 0, settled: 1 })
    expect(await entryAsync('billed')).toMatchObject({
      outcome: 'canceled',
      costUsd: 0.08,
      costEstimated: true,
      delivered: 0,
      errorCode: 'canceled'
    })
    expect((await store.getJobAsync('billed'))?.hostRunning).toBe(false)
  })

  it('a stop right after keeping a result its host delivered after a cancel: the host’s figure and the images are charged', async () => {
    const { jobs, host, store, deps, createAsync, entryAsync, logged } = setupJobs()
    const job = await createAsync()
    await jobs.cancelAsync(job.id, 'alice')
    // The disk fails for good once the late result is on the job: no later write lands, as in a crash.
    const { putJobAsync: put, settleUsageAsync: settle } = store
    const fail = async (): Promise<never> => {
      throw new Error('EIO')
    }
    store.putJobAsync = async (record) => {
      await put(record)
      if (record.images.length > 0) {
        store.putJobAsync = fail
        store.settleUsageAsync = fail
      }
    }
    host.answer(hostResult(1, 0.05))
    await jobs.settleAsync()
    expect(logged('usage.settle_failed')).toEqual([{ jobId: job.id, error: 'Error: EIO' }])
    expect(await entryAsync(job.id)).toMatchObject({ outcome: 'pending' })
    // The relay starts again on the same store, which works again.
    Object.assign(store, { putJobAsync: put, settleUsageAsync: settle })
    expect(await createEditJobs(deps).recoverAsync()).toEqual({ interrupted: 0, settled: 1 })
    expect(await entryAsync(job.id)).toMatchObject({ outcome: 'canceled', costUsd: 0.05, costEstimated: false, delivered: 1 })
  })

  it('a succeeded job with no cost recorded: charged 0', async () => {
    const { jobs, store, entryAsync } = setupJobs()
    await putForeignJobAsync(store, { id: 'free', status: 'succeeded' })
    await jobs.recoverAsync()
    expect(await entryAsync('free')).toMatchObject({ outcome: 'succeeded', costUsd: 0, costEstimated: false, delivered: 0 })
  })

  it('entries already settled: nothing counted, nothing logged', async () => {
    const { jobs, store, logged } = setupJobs()
    await putForeignJobAsync(store, { id: 'old', status: 'failed', error: { code: 'timeout', message: 'slow' } })
    await jobs.recoverAsync()
    expect(await jobs.recoverAsync()).toEqual({ interrupted: 0, settled: 0 })
    expect(logged('relay.recovered')).toHaveLength(1)
  })

  it('an empty store: nothing to do, nothing logged', async () => {
    const { jobs, logged } = setupJobs()
    expect(await jobs.recoverAsync()).toEqual({ interrupted: 0, settled: 0 })
    expect(logged('relay.recovered')).toEqual([])
  })

  it('leaves alone the runs this process follows', async () => {
    const { jobs, store, host, createAsync, entryAsync } = setupJobs()
    const job = await createAsync()
    expect(await jobs.recoverAsync()).toEqual({ interrupted: 0, settled: 0 })
    expect((await store.getJobAsync(job.id))?.status).toBe('running')
    expect(await entryAsync(job.id)).toMatchObject({ outcome: 'pending' })
    host.answer(hostResult(1, 0.08))
    await jobs.settleAsync()
    expect((await store.getJobAsync(job.id))?.status).toBe('succeeded')
  })

  it('a ledger the store cannot settle: not counted, the failure logged', async () => {
    const { jobs, store, logged } = setupJobs()
    await putForeignJobAsync(store, { id: 'stuck', status: 'failed', error: { code: 'timeout', message: 'slow' } })
    store.settleUsageAsync = async () => {
      throw new Error('EIO: ledger unreadable')
    }
    expect(await jobs.recoverAsync()).toEqual({ interrupted: 0, settled: 0 })
    expect(logged('usage.settle_failed')).toEqual([{ jobId: 'stuck', error: 'Error: EIO: ledger unreadable' }])
  })
})
