/**
 * Transient failures: the relay retries them, and never pays twice for one edit. Runware lets the
 * client choose the taskUUID; after an answer that leaves it unclear whether the task ran, the
 * relay asks `getResponse` for that UUID before it submits again.
 *
 * The adapter waits about 1 s, then 2 s, between submissions, so these tests are few; the give-up
 * path and the back-off are in runware-adapter.test.ts with an instant sleep.
 */
import { describe, expect, it } from 'vitest'
import { itKeepsSecretsOutOfResponsesAndLogs, polls, startRelayAsync, submissions } from './relay-harness'

describe('an answer lost after Runware accepted the task', () => {
  it('recovers the result of a task whose answer was lost (504 gateway page) without submitting it again', async () => {
    const relay = await startRelayAsync()
    relay.fake!.failNext({ kind: 'lose-response' })

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(1)
    expect(relay.fake!.accepted).toHaveLength(1)
    expect(relay.fake!.duplicateSubmissions).toBe(0)
    expect(submissions(relay.fake!)).toHaveLength(1)
    expect(polls(relay.fake!)[0]).toEqual({ taskType: 'getResponse', taskUUID: relay.fake!.accepted[0]!.taskUUID })
  })

  it('recovers the result when the connection drops after Runware accepted the task', async () => {
    const relay = await startRelayAsync()
    relay.fake!.failNext({ kind: 'reset-after-accept' })

    const job = await relay.waitForEndAsync(await relay.createEditAsync({ prompt: 'Make the sky purple', numImages: 2 }))

    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(2)
    expect(job.cost).toBeCloseTo(0.16, 6)
    expect(relay.fake!.accepted).toHaveLength(1)
    expect(relay.fake!.duplicateSubmissions).toBe(0)
    expect(submissions(relay.fake!)).toHaveLength(1)
  })
})

describe('a resubmit Runware answers conflictTaskUUID', () => {
  it('follows the task Runware already has when the resubmit after a reset is answered conflictTaskUUID, billed once', async () => {
    const relay = await startRelayAsync()
    // Accepted, then the connection drops; the first poll does not see the task yet, so the relay
    // submits again, and Runware answers that it has this taskUUID.
    relay.fake!.failNext({ kind: 'reset-after-accept' })
    relay.fake!.failNextPoll({ kind: 'not-found' })

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.error).toBeUndefined()
    expect(job.status).toBe('succeeded')
    expect(job.images).toHaveLength(1)
    expect(relay.fake!.accepted).toHaveLength(1)
    expect(relay.fake!.duplicateSubmissions).toBe(1)
    const [first, second] = submissions(relay.fake!)
    expect(second?.taskUUID).toBe(first?.taskUUID)
    expect(polls(relay.fake!).length).toBeGreaterThanOrEqual(2)
    expect(relay.logs.map((line) => line.event)).toContain('provider.conflict')
  })
})

describe('refusals Runware did not bill', () => {
  it('submits again after a 429 and succeeds, billed once', async () => {
    const relay = await startRelayAsync()
    relay.fake!.failNext({ kind: 'status', status: 429 })

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.status).toBe('succeeded')
    expect(relay.fake!.accepted).toHaveLength(1)
    expect(relay.fake!.duplicateSubmissions).toBe(0)
    const [first, second] = submissions(relay.fake!)
    expect(second?.taskUUID).toBe(first?.taskUUID)
  })

  it('succeeds after two 503s, billed once', async () => {
    const relay = await startRelayAsync()
    // Retry-After: 0 skips the 1 s + 2 s back-off; runware-adapter.test.ts checks the back-off itself.
    relay.fake!.failNext({ kind: 'status', status: 503, retryAfterSeconds: 0 }, 2)

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.status).toBe('succeeded')
    expect(relay.fake!.accepted).toHaveLength(1)
    expect(relay.fake!.duplicateSubmissions).toBe(0)
    expect(submissions(relay.fake!)).toHaveLength(3)
  })

  it('succeeds after one garbled 200 answer, billed once', async () => {
    const relay = await startRelayAsync()
    relay.fake!.failNext({ kind: 'malformed' })

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.status).toBe('succeeded')
    expect(relay.fake!.accepted).toHaveLength(1)
    expect(relay.fake!.duplicateSubmissions).toBe(0)
  })
})

itKeepsSecretsOutOfResponsesAndLogs()
