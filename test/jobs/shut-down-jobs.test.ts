import { describe, expect, it } from 'vitest'
import { AppError } from '../../shared/errors'
import { flushAsync, hostResult, putForeignJobAsync, setupJobs } from './jobs-setup'

const STOPPED = 'The relay was stopped before this edit finished, so its result was lost. Run the edit again.'

describe('shutdownAsync', () => {
  it('with nothing running: drains at once, logs no drain', async () => {
    const { jobs, logged } = setupJobs()
    expect(jobs.draining).toBe(false)
    expect(await jobs.shutdownAsync(10_000)).toEqual({ finished: 0, interrupted: 0 })
    expect(jobs.draining).toBe(true)
    expect(logged('relay.draining')).toEqual([])
  })

  it('takes no new edits or places once it began: 503 interrupted with Retry-After 30', async () => {
    const { jobs, input } = setupJobs()
    await jobs.shutdownAsync(0)
    const refused = {
      code: 'interrupted',
      retryAfterSeconds: 30,
      message: 'The relay is restarting and takes no new edits. Try again in a minute.'
    }
    await expect(jobs.createAsync(input())).rejects.toMatchObject(refused)
    expect(() => jobs.holdPlace({ owner: 'alice', dailyBudgetUsd: null }, 0)).toThrow(AppError)
    expect(jobs.capacity().running).toBe(0)
  })

  it('lets a run that ends within the grace time finish, and counts it', async () => {
    const { jobs, host, createAsync, entryAsync, logged } = setupJobs()
    const job = await createAsync()
    const shutdown = jobs.shutdownAsync(10_000)
    await flushAsync()
    host.answer(hostResult(1, 0.05))
    expect(await shutdown).toEqual({ finished: 1, interrupted: 0 })
    expect(logged('relay.draining')).toEqual([{ running: 1, graceMs: 10_000 }])
    expect(await entryAsync(job.id)).toMatchObject({ outcome: 'succeeded', costUsd: 0.05 })
  })

  it('interrupts a run past the grace time: failed `interrupted`, its host call aborted, its price released', async () => {
    const { jobs, host, createAsync, entryAsync, store, logged } = setupJobs({ provider: 'replicate', honorsAbort: true })
    const job = await createAsync()
    expect(await jobs.shutdownAsync(0)).toEqual({ finished: 0, interrupted: 1 })
    expect(await store.getJobAsync(job.id)).toMatchObject({ status: 'failed', error: { code: 'interrupted', message: STOPPED } })
    const signal = host.calls[0]!.input.signal
    expect(signal.reason).toBeInstanceOf(AppError)
    expect(signal.reason).toMatchObject({ code: 'interrupted', message: STOPPED })
    expect(logged('job.interrupted')).toEqual([{ jobId: job.id, owner: 'alice', provider: 'replicate', reason: 'shutdown' }])
    expect(await entryAsync(job.id)).toMatchObject({ outcome: 'failed', costUsd: 0, errorCode: 'interrupted' })
    expect(jobs.capacity().running).toBe(0)
  })

  it('a host call that ignores the abort is not waited for: its reservation is released as interrupted', async () => {
    const { jobs, createAsync, entryAsync, store } = setupJobs({ provider: 'runware' })
    const first = await createAsync()
    const second = await createAsync()
    expect(await jobs.shutdownAsync(0)).toEqual({ finished: 0, interrupted: 2 })
    for (const job of [first, second]) {
      expect((await store.getJobAsync(job.id))?.status).toBe('failed')
      expect(await entryAsync(job.id)).toMatchObject({ outcome: 'failed', costUsd: 0, costEstimated: false, errorCode: 'interrupted' })
    }
  })

  it('counts the runs that finished apart from those it interrupted', async () => {
    const { jobs, host, createAsync, entryAsync } = setupJobs({ provider: 'replicate', honorsAbort: true })
    const done = await createAsync()
    const cut = await createAsync()
    const shutdown = jobs.shutdownAsync(0)
    host.answer(hostResult(1, 0.05), 0)
    expect(await shutdown).toEqual({ finished: 1, interrupted: 1 })
    expect(await entryAsync(done.id)).toMatchObject({ outcome: 'succeeded' })
    expect(await entryAsync(cut.id)).toMatchObject({ outcome: 'failed', errorCode: 'interrupted' })
  })

  it('a canceled edit its host still runs: not interrupted; when its call unwinds, its reservation is charged', async () => {
    const { jobs, host, createAsync, entryAsync, store, logged } = setupJobs({ provider: 'bfl', honorsAbort: true })
    const job = await createAsync()
    await jobs.cancelAsync(job.id, 'alice')
    expect(await jobs.shutdownAsync(0)).toEqual({ finished: 0, interrupted: 1 })
    expect(host.calls[0]!.input.signal.aborted).toBe(true)
    expect(logged('job.interrupted')).toEqual([])
    expect(await store.getJobAsync(job.id)).toMatchObject({ status: 'canceled', hostRunning: false, error: { code: 'canceled' } })
    expect(await entryAsync(job.id)).toMatchObject({ outcome: 'canceled', costUsd: 0.08, costEstimated: true, delivered: 0 })
  })

  it('a run whose job was swept and whose host ignores the abort: nothing left to record', async () => {
    const { jobs, clock, createAsync, logged } = setupJobs()
    const job = await createAsync()
    clock.now = job.expiresAt
    expect(await jobs.sweepAsync()).toBe(1)
    expect(await jobs.shutdownAsync(0)).toEqual({ finished: 0, interrupted: 1 })
    expect(logged('job.interrupted')).toEqual([])
  })

  it('leaves alone the jobs of other processes', async () => {
    const { jobs, store, entryAsync } = setupJobs()
    await putForeignJobAsync(store, { id: 'elsewhere', status: 'running' })
    expect(await jobs.shutdownAsync(0)).toEqual({ finished: 0, interrupted: 0 })
    expect((await store.getJobAsync('elsewhere'))?.status).toBe('running')
    expect(await entryAsync('elsewhere')).toMatchObject({ outcome: 'pending' })
  })
})
