import { describe, expect, it } from 'vitest'
import { createJobChanges } from '../../relay/jobs/job-changes'
import { createMemoryStore } from '../../relay/store/memory-store'
import { NOON, putForeignJobAsync, RESULT_TTL_MS } from './jobs-setup'

function setup() {
  const store = createMemoryStore()
  const clock = { now: NOON }
  const changes = createJobChanges({ store, now: () => clock.now, resultTtlMs: RESULT_TTL_MS })
  return { store, clock, changes }
}

const never = () => new AbortController().signal

/** Whether `wait` ends well before its own 60 s: a wait that misses its wake-up would still end then, and pass. */
function endsSoonAsync(wait: Promise<unknown>): Promise<string> {
  return Promise.race([wait.then(() => 'ended'), new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), 1000))])
}

describe('job changes', () => {
  it('update: patches a job that has not ended, stamped with the time', async () => {
    const { store, clock, changes } = setup()
    await putForeignJobAsync(store, { id: 'a', status: 'queued' })
    clock.now = NOON + 10
    expect(await changes.updateAsync('a', { status: 'running' })).toMatchObject({ status: 'running', updatedAt: NOON + 10 })
    expect((await store.getJobAsync('a'))?.updatedAt).toBe(NOON + 10)
  })

  it('update: leaves an ended job and a missing one alone', async () => {
    const { store, changes } = setup()
    await putForeignJobAsync(store, { id: 'done', status: 'succeeded' })
    expect(await changes.updateAsync('done', { progress: 0.5 })).toBeUndefined()
    expect((await store.getJobAsync('done'))?.progress).toBeUndefined()
    expect(await changes.updateAsync('none', { progress: 0.5 })).toBeUndefined()
  })

  it('finish: ends a job once, kept for the retention time unless the patch says otherwise', async () => {
    const { store, changes } = setup()
    await putForeignJobAsync(store, { id: 'a', status: 'running' })
    await putForeignJobAsync(store, { id: 'b', status: 'running' })
    expect(await changes.finishAsync('a', 'failed', {})).toBe(true)
    expect(await store.getJobAsync('a')).toMatchObject({ status: 'failed', expiresAt: NOON + RESULT_TTL_MS })
    expect(await changes.finishAsync('a', 'succeeded', {})).toBe(false)
    expect((await store.getJobAsync('a'))?.status).toBe('failed')
    expect(await changes.finishAsync('b', 'canceled', { expiresAt: 42, status: 'succeeded' })).toBe(true)
    expect(await store.getJobAsync('b')).toMatchObject({ status: 'canceled', expiresAt: 42 })
  })

  it('forgets a job once its changes are applied', async () => {
    const { store, changes } = setup()
    await putForeignJobAsync(store, { id: 'a', status: 'running' })
    await putForeignJobAsync(store, { id: 'b', status: 'running' })
    const first = changes.updateAsync('a', { progress: 0.1 })
    const second = changes.updateAsync('a', { progress: 0.2 })
    const other = changes.updateAsync('b', { progress: 0.3 })
    expect(changes.activeChains()).toBe(2)
    await Promise.all([first, second, other])
    await new Promise((resolve) => setImmediate(resolve))
    expect(changes.activeChains()).toBe(0)
  })

  it('keeps a job in hand while a later change to it is still being written', async () => {
    const { store, changes } = setup()
    await putForeignJobAsync(store, { id: 'a', status: 'running' })
    const put = store.putJobAsync.bind(store)
    let release = (): void => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    store.putJobAsync = async (job) => {
      if (job.progress === 0.2) await gate
      return put(job)
    }
    const first = changes.updateAsync('a', { progress: 0.1 })
    const second = changes.updateAsync('a', { progress: 0.2 })
    await first
    await new Promise((resolve) => setImmediate(resolve))
    expect(changes.activeChains()).toBe(1)
    // A third change waits for the second, not only for the first.
    const third = changes.updateAsync('a', { progress: 0.3 })
    await new Promise((resolve) => setImmediate(resolve))
    expect((await store.getJobAsync('a'))?.progress).toBe(0.1)
    release()
    await Promise.all([second, third])
    expect((await store.getJobAsync('a'))?.progress).toBe(0.3)
  })

  it('changes to one job are applied in the order they were asked', async () => {
    const { store, changes } = setup()
    await putForeignJobAsync(store, { id: 'a', status: 'running' })
    const finished = changes.finishAsync('a', 'canceled', {})
    const late = changes.updateAsync('a', { progress: 0.9 })
    expect(await finished).toBe(true)
    expect(await late).toBeUndefined()
    expect((await store.getJobAsync('a'))?.progress).toBeUndefined()
  })

  it('a change that fails does not stop the next one', async () => {
    const { store, changes } = setup()
    await putForeignJobAsync(store, { id: 'a', status: 'running' })
    const put = store.putJobAsync
    let failures = 1
    store.putJobAsync = async (job) => {
      if (failures-- > 0) throw new Error('EIO')
      return put(job)
    }
    const failing = changes.updateAsync('a', { progress: 0.1 })
    const next = changes.updateAsync('a', { progress: 0.2 })
    await expect(failing).rejects.toThrow('EIO')
    expect((await next)?.progress).toBe(0.2)
  })

  it('patchEnded: changes only a job whose host still runs it', async () => {
    const { store, changes } = setup()
    await putForeignJobAsync(store, { id: 'held', status: 'canceled', hostRunning: true })
    await putForeignJobAsync(store, { id: 'plain', status: 'canceled' })
    await putForeignJobAsync(store, { id: 'over', status: 'canceled', hostRunning: false })
    expect(await changes.patchEndedAsync('held', { hostRunning: false, costUsd: 0.08 })).toMatchObject({
      status: 'canceled',
      hostRunning: false,
      costUsd: 0.08
    })
    expect(await changes.patchEndedAsync('plain', { costUsd: 1 })).toBeUndefined()
    expect(await changes.patchEndedAsync('over', { costUsd: 1 })).toBeUndefined()
    expect(await changes.patchEndedAsync('held', { costUsd: 1 })).toBeUndefined()
  })

  it('wait: ends when the job changes, for every waiter', async () => {
    const { store, changes } = setup()
    const job = await putForeignJobAsync(store, { id: 'a', status: 'running' })
    const waits = [changes.waitForChangeAsync(job, 60_000, never()), changes.waitForChangeAsync(job, 60_000, never())]
    await new Promise((resolve) => setImmediate(resolve))
    await changes.updateAsync('a', { progress: 0.3 })
    expect(await endsSoonAsync(Promise.all(waits))).toBe('ended')
  })

  it('wait: ends at once when the job changed before the wait began, or is gone', async () => {
    const { store, changes } = setup()
    const job = await putForeignJobAsync(store, { id: 'a', status: 'running' })
    expect(await endsSoonAsync(changes.waitForChangeAsync({ ...job, progress: 0.1 }, 60_000, never()))).toBe('ended')
    expect(await endsSoonAsync(changes.waitForChangeAsync({ ...job, id: 'gone' }, 60_000, never()))).toBe('ended')
    // The same job as stored holds until a change.
    expect(await endsSoonAsync(changes.waitForChangeAsync(job, 60_000, never()))).toBe('still waiting')
  })

  it('wait: ends at once when the store cannot be read', async () => {
    const { store, changes } = setup()
    const job = await putForeignJobAsync(store, { id: 'a', status: 'running' })
    store.getJobAsync = async () => {
      throw new Error('EIO')
    }
    expect(await endsSoonAsync(changes.waitForChangeAsync(job, 60_000, never()))).toBe('ended')
  })

  it('wait: ends when its signal aborts, or after its time', async () => {
    const { store, changes } = setup()
    const job = await putForeignJobAsync(store, { id: 'a', status: 'running' })
    const controller = new AbortController()
    const waiting = changes.waitForChangeAsync(job, 60_000, controller.signal)
    await new Promise((resolve) => setImmediate(resolve))
    controller.abort()
    expect(await endsSoonAsync(waiting)).toBe('ended')
    expect(await endsSoonAsync(changes.waitForChangeAsync(job, 1, never()))).toBe('ended')
  })

  it('wait: a signal that aborted before the wait began holds nothing, even while the store is slow', async () => {
    const { store, changes } = setup()
    const job = await putForeignJobAsync(store, { id: 'a', status: 'running' })
    // The store never answers, so only the signal can end this wait before its 60 s.
    store.getJobAsync = () => new Promise(() => undefined)
    const controller = new AbortController()
    controller.abort()
    const outcome = await Promise.race([
      changes.waitForChangeAsync(job, 60_000, controller.signal).then(() => 'ended'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 200))
    ])
    expect(outcome).toBe('ended')
  })
})
