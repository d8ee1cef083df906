import { describe, expect, it } from 'vitest'
import { AppError } from '../../shared/errors'
import { flushAsync, hostResult, NOON, PROVIDER_TIMEOUT_MS, putForeignJobAsync, REFERENCE, RESULT_TTL_MS, setupJobs } from './jobs-setup'

const MIB = 1024 * 1024

describe('holdPlace', () => {
  it('lets an owner with no cap of its own run 4 edits at once', () => {
    const { jobs } = setupJobs()
    const account = { owner: 'alice', dailyBudgetUsd: null }
    for (let count = 0; count < 4; count += 1) jobs.holdPlace(account, 0)
    expect(() => jobs.holdPlace(account, 0)).toThrow(expect.objectContaining({ code: 'rate_limited' }))
  })

  it('uses the owner’s own cap when its token sets one', () => {
    const { jobs } = setupJobs()
    const account = { owner: 'alice', dailyBudgetUsd: null, maxRunningEdits: 1 }
    jobs.holdPlace(account, 0)
    expect(() => jobs.holdPlace(account, 0)).toThrow(expect.objectContaining({ code: 'rate_limited' }))
  })

  it('runs 32 edits at once on the relay by default', () => {
    const { jobs } = setupJobs()
    for (let count = 0; count < 32; count += 1) jobs.holdPlace({ owner: `owner-${count}`, dailyBudgetUsd: null }, 0)
    expect(() => jobs.holdPlace({ owner: 'late', dailyBudgetUsd: null }, 0)).toThrow(expect.objectContaining({ code: 'relay_busy' }))
    expect(jobs.capacity().running).toBe(32)
  })

  it('holds 128 MB in flight by default', () => {
    const { jobs } = setupJobs()
    jobs.holdPlace({ owner: 'alice', dailyBudgetUsd: null }, 100 * MIB)
    jobs.holdPlace({ owner: 'bob', dailyBudgetUsd: null }, 28 * MIB)
    expect(() => jobs.holdPlace({ owner: 'carol', dailyBudgetUsd: null }, 1)).toThrow(expect.objectContaining({ code: 'relay_busy' }))
  })

  it('takes the relay’s caps from its deps', () => {
    const { jobs } = setupJobs({ deps: { capacity: { maxRunningEdits: 1, maxInflightBytes: 10 } } })
    jobs.holdPlace({ owner: 'alice', dailyBudgetUsd: null }, 0)
    expect(() => jobs.holdPlace({ owner: 'bob', dailyBudgetUsd: null }, 0)).toThrow(expect.objectContaining({ code: 'relay_busy' }))
    const bytes = setupJobs({ deps: { capacity: { maxInflightBytes: 10 } } }).jobs
    bytes.holdPlace({ owner: 'alice', dailyBudgetUsd: null }, 6)
    expect(() => bytes.holdPlace({ owner: 'bob', dailyBudgetUsd: null }, 5)).toThrow(expect.objectContaining({ code: 'relay_busy' }))
  })
})

describe('createAsync and the place an edit holds', () => {
  it('takes its own place, holding its references’ bytes until its run ends', async () => {
    const { jobs, host, createAsync } = setupJobs()
    await createAsync()
    expect(jobs.capacity()).toEqual({ running: 1, inflightBytes: REFERENCE.bytes.length, byOwner: { alice: 1 } })
    host.answer(hostResult(1, 0.08))
    await jobs.settleAsync()
    expect(jobs.capacity()).toEqual({ running: 0, inflightBytes: 0, byOwner: {} })
  })

  it('adopts the place its upload took, resized from the declared size to the references’ bytes', async () => {
    const { jobs, input } = setupJobs()
    const hold = jobs.holdPlace(input().account, 5 * MIB)
    await jobs.createAsync({ ...input(), hold })
    expect(jobs.capacity().inflightBytes).toBe(REFERENCE.bytes.length)
    hold.abandon()
    expect(jobs.capacity().running).toBe(1)
  })

  it('frees the place when the edit is refused', async () => {
    const { jobs, input } = setupJobs({ dailyBudgetUsd: 0.01 })
    const hold = jobs.holdPlace(input().account, 100)
    await expect(jobs.createAsync({ ...input(), hold })).rejects.toMatchObject({ code: 'budget_exceeded' })
    expect(jobs.capacity()).toEqual({ running: 0, inflightBytes: 0, byOwner: {} })
    await expect(jobs.createAsync(input())).rejects.toMatchObject({ code: 'budget_exceeded' })
    expect(jobs.capacity().running).toBe(0)
  })

  it('refuses a host the relay has no key for, keeping no job', async () => {
    const { jobs, input, store } = setupJobs()
    await expect(jobs.createAsync({ ...input(), provider: 'fal' })).rejects.toMatchObject({ code: 'provider_not_configured' })
    expect(await store.listJobsAsync()).toEqual([])
    expect(jobs.capacity().running).toBe(0)
  })
})

describe('getImageAsync', () => {
  it('serves each image of a succeeded edit, and not_found past the last or for a fraction', async () => {
    const { jobs, host, createAsync } = setupJobs()
    const job = await createAsync(2)
    await expect(jobs.getImageAsync(job.id, 'alice', 0)).rejects.toMatchObject({ code: 'not_found' })
    const result = hostResult(2, 0.16)
    host.answer(result)
    await jobs.settleAsync()
    expect(await jobs.getImageAsync(job.id, 'alice', 1)).toEqual({ bytes: result.images[1]!.bytes, contentType: 'image/png' })
    const missing = { code: 'not_found', message: 'This edit has no image with that number.' }
    await expect(jobs.getImageAsync(job.id, 'alice', 2)).rejects.toMatchObject(missing)
    await expect(jobs.getImageAsync(job.id, 'alice', 0.5)).rejects.toMatchObject(missing)
    await expect(jobs.getImageAsync(job.id, 'bob', 0)).rejects.toMatchObject({ code: 'not_found' })
  })

  it('serves no image of a failed edit, even one the record lists', async () => {
    const { jobs, store } = setupJobs()
    const image = { contentType: 'image/png' as const, width: 2, height: 2, byteLength: 3 }
    await putForeignJobAsync(store, { id: 'failed', status: 'failed', images: [image] })
    await store.putImagesAsync('failed', [new Uint8Array([1, 2, 3])])
    await expect(jobs.getImageAsync('failed', 'alice', 0)).rejects.toMatchObject({ code: 'not_found' })
  })

  it('answers not_found for an image the edit does not list without reading the store, even one that cannot read', async () => {
    const { jobs, host, store, createAsync } = setupJobs()
    const job = await createAsync()
    store.getImageAsync = async () => {
      throw new Error('EIO: disk unreadable')
    }
    await expect(jobs.getImageAsync(job.id, 'alice', 0)).rejects.toMatchObject({ code: 'not_found' })
    host.answer(hostResult(1, 0.08))
    await jobs.settleAsync()
    await expect(jobs.getImageAsync(job.id, 'alice', 1)).rejects.toMatchObject({ code: 'not_found' })
    await expect(jobs.getImageAsync(job.id, 'alice', 0)).rejects.toThrow('EIO: disk unreadable')
  })

  it('answers not_found when the store lost the bytes of a listed image', async () => {
    const { jobs, store } = setupJobs()
    const image = { contentType: 'image/png' as const, width: 2, height: 2, byteLength: 3 }
    await putForeignJobAsync(store, { id: 'lost', status: 'succeeded', images: [image] })
    await expect(jobs.getImageAsync('lost', 'alice', 0)).rejects.toMatchObject({ code: 'not_found' })
  })
})

describe('who sees an edit, and until when', () => {
  it('its owner, until the moment it expires', async () => {
    const { jobs, store, clock } = setupJobs()
    const job = await putForeignJobAsync(store, { id: 'mine', status: 'running' })
    clock.now = job.expiresAt - 1
    expect((await jobs.getAsync('mine', 'alice')).id).toBe('mine')
    clock.now = job.expiresAt
    await expect(jobs.getAsync('mine', 'alice')).rejects.toMatchObject({
      code: 'not_found',
      message: 'There is no edit with this id (it may have expired).'
    })
  })

  it('not another owner, nor an id that does not exist', async () => {
    const { jobs, store } = setupJobs()
    await putForeignJobAsync(store, { id: 'mine', status: 'running' })
    await expect(jobs.getAsync('mine', 'bob')).rejects.toBeInstanceOf(AppError)
    await expect(jobs.getAsync('none', 'alice')).rejects.toMatchObject({ code: 'not_found' })
  })

  it('a new job expires after the host’s deadline plus the retention time', async () => {
    const { createAsync } = setupJobs()
    expect((await createAsync()).expiresAt).toBe(NOON + PROVIDER_TIMEOUT_MS + RESULT_TTL_MS)
  })
})

describe('waitAsync', () => {
  it('answers an ended edit at once', async () => {
    const { jobs, store } = setupJobs()
    await putForeignJobAsync(store, { id: 'done', status: 'failed' })
    const never = new AbortController().signal
    expect((await jobs.waitAsync('done', 'alice', 60_000, never)).status).toBe('failed')
  })

  it('answers at once when asked to wait 0 ms', async () => {
    const { jobs, store } = setupJobs()
    await putForeignJobAsync(store, { id: 'busy', status: 'running' })
    expect((await jobs.waitAsync('busy', 'alice', 0, new AbortController().signal)).status).toBe('running')
  })

  it('answers when the edit changes', async () => {
    const { jobs, host, createAsync } = setupJobs()
    const job = await createAsync()
    const waiting = jobs.waitAsync(job.id, 'alice', 60_000, new AbortController().signal)
    host.answer(hostResult(1, 0.08))
    expect((await waiting).status).toBe('succeeded')
  })

  it('answers the edit as it is when the client goes away', async () => {
    const { jobs, createAsync } = setupJobs()
    const job = await createAsync()
    const controller = new AbortController()
    const waiting = jobs.waitAsync(job.id, 'alice', 60_000, controller.signal)
    await flushAsync()
    controller.abort()
    expect((await waiting).status).toBe('running')
  })
})

describe('sweepAsync', () => {
  it('drops the edits past their retention, stops their runs, and counts them', async () => {
    const { jobs, host, store, clock, createAsync } = setupJobs({ provider: 'replicate', honorsAbort: true })
    const job = await createAsync()
    await putForeignJobAsync(store, { id: 'young', status: 'failed', expiresAt: NOON + PROVIDER_TIMEOUT_MS + RESULT_TTL_MS + 1 })
    expect(await jobs.sweepAsync()).toBe(0)
    clock.now = job.expiresAt
    expect(await jobs.sweepAsync()).toBe(1)
    expect(await store.getJobAsync(job.id)).toBeUndefined()
    expect(await store.getJobAsync('young')).toBeDefined()
    expect(host.calls[0]!.input.signal.reason).toMatchObject({ code: 'timeout' })
    await jobs.settleAsync()
  })
})
