import { describe, expect, it } from 'vitest'
import { AppError } from '../../shared/errors'
import { flushAsync, hostResult, NOON, PROVIDER_TIMEOUT_MS, putForeignJobAsync, RESULT_TTL_MS, setupJobs } from './jobs-setup'

describe('cancelAsync on a host that can stop a job', () => {
  it('cancels at once, stops the host call with `canceled` and releases the price', async () => {
    const { jobs, host, createAsync, entryAsync, logged } = setupJobs({ provider: 'replicate', honorsAbort: true })
    const job = await createAsync()
    host.calls[0]!.input.onProgress({ status: 'running', fraction: 0.5 })
    await flushAsync()
    const canceled = await jobs.cancelAsync(job.id, 'alice')
    expect(canceled.progress).toBeUndefined()
    expect(canceled).toMatchObject({ status: 'canceled', error: { code: 'canceled', message: 'The edit was canceled.' } })
    expect(canceled.hostRunning).toBeUndefined()
    expect(canceled.expiresAt).toBe(NOON + RESULT_TTL_MS)
    const signal = host.calls[0]!.input.signal
    expect(signal.aborted).toBe(true)
    expect(signal.reason).toBeInstanceOf(AppError)
    expect(signal.reason).toMatchObject({ code: 'canceled' })
    expect(logged('job.canceled')).toEqual([{ jobId: job.id, hostKeepsRunning: false }])
    await jobs.settleAsync()
    expect(await entryAsync(job.id)).toMatchObject({ outcome: 'canceled', costUsd: 0, errorCode: 'canceled' })
  })

  it('a second cancel answers the same and logs nothing more', async () => {
    const { jobs, createAsync, logged } = setupJobs({ provider: 'replicate', honorsAbort: true })
    const job = await createAsync()
    const first = await jobs.cancelAsync(job.id, 'alice')
    await jobs.settleAsync()
    expect(await jobs.cancelAsync(job.id, 'alice')).toEqual(first)
    expect(logged('job.canceled')).toHaveLength(1)
  })
})

describe('cancelAsync on a host that cannot stop a job', () => {
  it('cancels for the client at once, keeps the host call going and the price held past the host’s deadline', async () => {
    const { jobs, host, createAsync, entryAsync, logged } = setupJobs({ provider: 'bfl' })
    const job = await createAsync()
    host.calls[0]!.input.onProgress({ status: 'running', fraction: 0.5 })
    await flushAsync()
    const canceled = await jobs.cancelAsync(job.id, 'alice')
    expect(canceled).toMatchObject({ status: 'canceled', hostRunning: true, expiresAt: NOON + PROVIDER_TIMEOUT_MS + RESULT_TTL_MS })
    expect(canceled.progress).toBeUndefined()
    expect(canceled.error).toEqual({
      code: 'canceled',
      message:
        'Canceled. Black Forest Labs cannot stop an edit it has started: it runs to the end and is billed, so its price stays held on your budget until then, and its images will show on this edit when it ends.'
    })
    expect(host.calls[0]!.input.signal.aborted).toBe(false)
    expect(logged('job.canceled')).toEqual([{ jobId: job.id, hostKeepsRunning: true }])
    expect(await entryAsync(job.id)).toMatchObject({ outcome: 'pending' })
    host.answer(hostResult(1, 0.08))
    await jobs.settleAsync()
    expect(await entryAsync(job.id)).toMatchObject({ outcome: 'canceled', costUsd: 0.08, delivered: 1 })
  })
})

describe('cancelAsync with no run in this process', () => {
  it('a job another process runs: canceled and its reservation released here, whatever the host', async () => {
    const { jobs, store, entryAsync, logged } = setupJobs()
    await putForeignJobAsync(store, { id: 'elsewhere', status: 'running' })
    const canceled = await jobs.cancelAsync('elsewhere', 'alice')
    expect(canceled).toMatchObject({ status: 'canceled', error: { code: 'canceled', message: 'The edit was canceled.' } })
    expect(canceled.hostRunning).toBeUndefined()
    expect(await entryAsync('elsewhere')).toMatchObject({ outcome: 'canceled', costUsd: 0, delivered: 0, errorCode: 'canceled' })
    expect(logged('job.canceled')).toEqual([{ jobId: 'elsewhere', hostKeepsRunning: false }])
  })

  it('two cancels at once: one ends the job, one log line, one settlement', async () => {
    const { jobs, store, entryAsync, logged } = setupJobs()
    await putForeignJobAsync(store, { id: 'elsewhere', status: 'running' })
    const both = await Promise.all([jobs.cancelAsync('elsewhere', 'alice'), jobs.cancelAsync('elsewhere', 'alice')])
    expect(both.map((job) => job.status)).toEqual(['canceled', 'canceled'])
    expect(logged('job.canceled')).toHaveLength(1)
    expect(await entryAsync('elsewhere')).toMatchObject({ outcome: 'canceled', costUsd: 0 })
  })

  it('a job that has ended: answered as it is, its ledger left alone', async () => {
    const { jobs, store, entryAsync, logged } = setupJobs()
    await putForeignJobAsync(store, { id: 'done', status: 'failed', error: { code: 'timeout', message: 'slow' } })
    expect(await jobs.cancelAsync('done', 'alice')).toMatchObject({ status: 'failed', error: { code: 'timeout' } })
    expect(await entryAsync('done')).toMatchObject({ outcome: 'pending' })
    expect(logged('job.canceled')).toEqual([])
  })

  it('another owner’s job: not_found, and nothing canceled', async () => {
    const { jobs, store } = setupJobs()
    await putForeignJobAsync(store, { id: 'theirs', status: 'running' })
    await expect(jobs.cancelAsync('theirs', 'bob')).rejects.toMatchObject({ code: 'not_found' })
    expect((await store.getJobAsync('theirs'))?.status).toBe('running')
  })
})
