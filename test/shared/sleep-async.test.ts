import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { sleepAsync } from '../../shared/sleep-async'

describe('sleeping until a time or an abort', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('resolves when the time is up, not a tick before', async () => {
    const controller = new AbortController()
    let done = false
    void sleepAsync(1000, controller.signal).then(() => (done = true))
    await vi.advanceTimersByTimeAsync(999)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(done).toBe(true)
    // It stops listening once it has resolved: a later abort has nothing to reject.
    controller.abort(new Error('late'))
    expect(vi.getTimerCount()).toBe(0)
  })

  it('rejects with the signal’s reason as soon as it aborts, and drops its timer', async () => {
    const controller = new AbortController()
    const sleeping = sleepAsync(1000, controller.signal)
    const reason = new Error('stop')
    controller.abort(reason)
    await expect(sleeping).rejects.toBe(reason)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('rejects at once on a signal that has already aborted, starting no timer', async () => {
    const reason = new Error('already')
    await expect(sleepAsync(1000, AbortSignal.abort(reason))).rejects.toBe(reason)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('removes its abort listener when the time is up', async () => {
    const controller = new AbortController()
    const removed = vi.spyOn(controller.signal, 'removeEventListener')
    const added = vi.spyOn(controller.signal, 'addEventListener')
    const sleeping = sleepAsync(10, controller.signal)
    await vi.advanceTimersByTimeAsync(10)
    await sleeping
    expect(added).toHaveBeenCalledWith('abort', expect.any(Function), { once: true })
    expect(removed).toHaveBeenCalledWith('abort', added.mock.calls[0]![1])
  })
})
