import { describe, expect, it } from 'vitest'
import type { LogScope } from '../../relay/log/relay-log'
import { offerOf } from '../../shared/models'
import { DAY, flushAsync, hostResult, NOON, PROVIDER_TIMEOUT_MS, REFERENCE, RESULT_TTL_MS, setupJobs } from './jobs-setup'

describe('starting an edit', () => {
  it('stores a queued job with its price held, and a pending ledger entry for it', async () => {
    const { jobs, input, store, entryAsync } = setupJobs()
    const job = await jobs.createAsync(input({ numImages: 3 }))
    expect(job).toEqual({
      id: 'job-1',
      owner: 'alice',
      status: 'queued',
      provider: 'runware',
      model: 'kontext-max',
      createdAt: NOON,
      updatedAt: NOON,
      expiresAt: NOON + PROVIDER_TIMEOUT_MS + RESULT_TTL_MS,
      numImages: 3,
      reservedUsd: 0.24,
      images: [],
      costEstimated: false
    })
    expect(await entryAsync(job.id)).toEqual({
      jobId: 'job-1',
      owner: 'alice',
      day: DAY,
      createdAt: NOON,
      provider: 'runware',
      model: 'kontext-max',
      images: 3,
      reservedUsd: 0.24,
      outcome: 'pending'
    })
    expect(await store.getJobAsync(job.id)).toBeDefined()
    await jobs.shutdownAsync(0)
  })

  it('holds a FLUX.2 edit’s price by the megapixel: the size the host will be asked for, and every reference', async () => {
    const { jobs, input, host, entryAsync } = setupJobs({ provider: 'bfl', dailyBudgetUsd: 5 })
    const offer = offerOf('bfl', 'flux2-flex')!
    // A 1440×900 hero at 4 MP (2530×1581, 4 started) and a 1000×1000 logo (1): asked back at 2528×1568 (4).
    const references = [
      { ...REFERENCE, width: 2530, height: 1581 },
      { ...REFERENCE, width: 1000, height: 1000 }
    ]
    const job = await jobs.createAsync({ ...input({ numImages: 2 }), model: 'flux2-flex', offer, references })
    // Each image: 0.05 + 3 × 0.05 for its output, 5 × 0.05 for the references it reads.
    expect(job.reservedUsd).toBe(0.9)
    expect(await entryAsync(job.id)).toMatchObject({ model: 'flux2-flex', reservedUsd: 0.9 })
    await flushAsync()
    expect(host.calls[0]!.input.size).toEqual({ width: 2528, height: 1568 })
    host.answer(hostResult(2, undefined))
    await jobs.settleAsync()
    // No figure from the host: the images kept are settled at the same rule.
    expect(await entryAsync(job.id)).toMatchObject({ outcome: 'succeeded', costUsd: 0.9 })
  })

  it('logs the new job without its prompt, and each of its lines in its scope', async () => {
    const scopes: LogScope[] = []
    const logContext = {
      run: <T>(scope: LogScope, body: () => T): T => {
        scopes.push(scope)
        return body()
      },
      current: () => undefined
    }
    const { jobs, input, host, logged } = setupJobs({ deps: { logContext } })
    const job = await jobs.createAsync(input({ numImages: 2 }))
    expect(logged('job.created')).toEqual([
      { jobId: job.id, owner: 'alice', provider: 'runware', model: 'kontext-max', references: 1, numImages: 2, reservedUsd: 0.16 }
    ])
    expect(scopes).toEqual([
      { jobId: job.id, prompt: 'Make the sky purple' },
      { jobId: job.id, prompt: 'Make the sky purple' }
    ])
    await flushAsync()
    host.answer(hostResult(2, 0.16))
    await jobs.settleAsync()
  })

  it('logs the prompt when the relay is told to', async () => {
    const { jobs, input, host, logged } = setupJobs({ deps: { logPrompts: true } })
    await jobs.createAsync(input())
    expect(logged('job.created')[0]).toMatchObject({ prompt: 'Make the sky purple' })
    await flushAsync()
    host.answer(hostResult(1, 0.08))
    await jobs.settleAsync()
  })

  it('refuses an edit past the daily budget: 402, no job left, logged with the numbers', async () => {
    const { jobs, input, store, logged, host } = setupJobs({ dailyBudgetUsd: 0.1 })
    await jobs.createAsync(input())
    await expect(jobs.createAsync(input())).rejects.toMatchObject({
      code: 'budget_exceeded',
      message:
        'This edit (about $0.08) does not fit your daily budget of $0.10 on this relay: $0.08 is spent or held by running edits today. It starts again at midnight UTC, or ask whoever runs the relay to raise it.'
    })
    expect((await store.listJobsAsync()).map((job) => job.id)).toEqual(['job-1'])
    expect(logged('job.refused_budget')).toEqual([{ owner: 'alice', dailyBudgetUsd: 0.1, chargedUsd: 0.08, priceUsd: 0.08 }])
    expect(host.calls).toHaveLength(1)
    host.answer(hostResult(1, 0.08))
    await jobs.settleAsync()
  })

  it('a ledger the store cannot write: the error passed on, no job left, no host called', async () => {
    const { jobs, input, store, host } = setupJobs()
    store.reserveUsageAsync = async () => {
      throw new Error('EIO: ledger')
    }
    await expect(jobs.createAsync(input())).rejects.toThrow('EIO: ledger')
    expect(await store.listJobsAsync()).toEqual([])
    expect(host.calls).toEqual([])
  })

  it('follows the run until it ends', async () => {
    const { jobs, input, host, store } = setupJobs()
    const job = await jobs.createAsync(input())
    let settled = false
    const waiting = jobs.settleAsync().then(() => (settled = true))
    await new Promise((resolve) => setImmediate(resolve))
    expect(settled).toBe(false)
    host.answer(hostResult(1, 0.08))
    await waiting
    expect((await store.getJobAsync(job.id))?.status).toBe('succeeded')
    expect(await jobs.shutdownAsync(0)).toEqual({ finished: 0, interrupted: 0 })
  })
})
