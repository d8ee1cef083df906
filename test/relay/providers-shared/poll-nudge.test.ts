import { describe, expect, it } from 'vitest'
import { PollNudge } from '../../../relay/providers/shared/poll-nudge'

/** A sleep that ends only when its signal aborts (a wait that never ends by itself), recording each wait asked for. */
function endlessSleep(asked: number[]) {
  return (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((_, reject) => {
      asked.push(ms)
      if (signal.aborted) return reject(signal.reason as Error)
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })
    })
}

describe('a push cutting a poll’s wait short', () => {
  it('ends the wait under way, without an error, and the next wait waits again', async () => {
    const nudge = new PollNudge()
    const asked: number[] = []
    const sleep = nudge.sleeper(endlessSleep(asked))
    const signal = new AbortController().signal
    const first = sleep(400, signal)
    await Promise.resolve()
    nudge.nudge()
    await expect(first).resolves.toBeUndefined()
    const second = sleep(400, signal)
    let ended = false
    void second.then(() => (ended = true))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(ended).toBe(false)
    nudge.nudge()
    await second
    expect(asked).toEqual([400, 400])
  })

  it('remembers a push between waits: the next wait ends at once, once', async () => {
    const nudge = new PollNudge()
    const asked: number[] = []
    const sleep = nudge.sleeper(endlessSleep(asked))
    const controller = new AbortController()
    nudge.nudge()
    await expect(sleep(400, controller.signal)).resolves.toBeUndefined()
    // It did not even start a wait.
    expect(asked).toEqual([])
    const next = sleep(400, controller.signal)
    controller.abort(new Error('deadline'))
    await expect(next).rejects.toThrow('deadline')
    expect(asked).toEqual([400])
  })

  it('still ends with the signal’s reason when the job’s signal aborts, and passes on a sleep’s own failure', async () => {
    const nudge = new PollNudge()
    const controller = new AbortController()
    const waiting = nudge.sleeper(endlessSleep([]))(400, controller.signal)
    controller.abort(new Error('canceled'))
    await expect(waiting).rejects.toThrow('canceled')
    const broken = nudge.sleeper(async () => {
      throw new Error('timer broke')
    })
    await expect(broken(400, new AbortController().signal)).rejects.toThrow('timer broke')
    // An abort after a push is still the abort: the signal's reason, not a quiet end.
    const late = new AbortController()
    const pending = nudge.sleeper(endlessSleep([]))(400, late.signal)
    late.abort(new Error('gone'))
    nudge.nudge()
    await expect(pending).rejects.toThrow('gone')
  })
})
