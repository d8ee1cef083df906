/**
 * Failures Runware reports (or never reports): each becomes a failed job whose `error` carries a
 * relay code and the plain-language message for it. Runware's own text stays in the log.
 */
import { describe, expect, it } from 'vitest'
import { ERROR_MESSAGES, type RelayErrorCode } from '../../shared/errors'
import type { RunwareFault } from '../fakes/runware-server'
import { itKeepsSecretsOutOfResponsesAndLogs, startRelayAsync, submissions } from './relay-harness'

describe('errors Runware answers with', () => {
  it.each<{ name: string; fault: RunwareFault; code: RelayErrorCode; billed: number }>([
    { name: '402 (out of credit)', fault: { kind: 'status', status: 402 }, code: 'insufficient_credit', billed: 0 },
    { name: 'a content-policy refusal', fault: { kind: 'moderation' }, code: 'moderated', billed: 0 },
    { name: 'results flagged NSFW (billed by Runware)', fault: { kind: 'nsfw' }, code: 'moderated', billed: 1 }
  ])('fails the job on $name with code $code, without retrying', async ({ fault, code, billed }) => {
    const relay = await startRelayAsync()
    relay.fake!.failNext(fault)

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.status).toBe('failed')
    expect(job.error).toEqual({ code, message: ERROR_MESSAGES[code] })
    expect(job.images).toEqual([])
    expect(submissions(relay.fake!)).toHaveLength(1)
    expect(relay.fake!.accepted).toHaveLength(billed)
    expect(relay.fake!.duplicateSubmissions).toBe(0)
  })

  it('keeps Runware’s own error text in the log, out of the job', async () => {
    const relay = await startRelayAsync()
    relay.fake!.failNext({ kind: 'status', status: 402 })

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.error?.message).not.toMatch(/Simulated|insufficientCredits/)
    const failed = relay.logs.find((line) => line.event === 'job.failed')
    expect(failed?.fields).toMatchObject({ code: 'insufficient_credit', detail: expect.stringMatching(/402 insufficientCredits/) })
  })

  it('reports provider_not_configured when Runware refuses the relay’s API key', async () => {
    const relay = await startRelayAsync({ env: { RUNWARE_API_KEY: 'rw-wrong-key-1234567890' } })

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.status).toBe('failed')
    expect(job.error).toEqual({ code: 'provider_not_configured', message: expect.stringMatching(/RUNWARE_API_KEY/) })
    expect(JSON.stringify(job)).not.toContain('rw-wrong-key-1234567890')
    expect(relay.fake!.accepted).toHaveLength(0)
  })
})

describe('results Runware sends that are not images', () => {
  it('fails the job with provider_error (the host’s fault, not the designer’s reference)', async () => {
    const notAPng = Buffer.from('<html>oops</html>').toString('base64')
    const relay = await startRelayAsync({
      rewriteHostAnswer: (text) => text.replace(/"imageBase64Data":"[^"]*"/g, `"imageBase64Data":"${notAPng}"`)
    })

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.status).toBe('failed')
    expect(job.error).toEqual({ code: 'provider_error', message: ERROR_MESSAGES.provider_error })
    expect(relay.fake!.accepted).toHaveLength(1)
  })
})

describe('a host that does not answer', () => {
  it('fails the job with timeout when Runware hangs past the provider deadline', async () => {
    const relay = await startRelayAsync({ config: { providerTimeoutMs: 300 } })
    relay.fake!.failNext({ kind: 'hang' })

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.status).toBe('failed')
    expect(job.error).toEqual({ code: 'timeout', message: ERROR_MESSAGES.timeout })
    expect(relay.fake!.accepted).toHaveLength(0)
  })

  it('fails the job with timeout when a slow task outlasts the deadline', async () => {
    const relay = await startRelayAsync({ config: { providerTimeoutMs: 300 }, fake: { latencyMs: 3000 } })

    const job = await relay.waitForEndAsync(await relay.createEditAsync())

    expect(job.status).toBe('failed')
    expect(job.error?.code).toBe('timeout')
    expect(relay.fake!.duplicateSubmissions).toBe(0)
  })
})

itKeepsSecretsOutOfResponsesAndLogs()
