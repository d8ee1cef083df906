import { describe, expect, it } from 'vitest'
import { plainTokenOwnerAsync } from '../../relay/auth/plain-token-owner-async'
import { UsageResponse, type OwnerUsage } from '../../shared/relay-api'
import { ALICE, BOB, errorOf, itKeepsSecretsOut, OPS, PLAIN_TOKEN, startTeamRelayAsync, type TeamRelay } from './team-harness'

const NOON = Date.UTC(2025, 5, 30, 12, 0, 0)
const DAY = '2025-06-30'

async function usageAsync(team: TeamRelay, token: string, query = ''): Promise<UsageResponse> {
  const response = await team.requestAsync(`/v1/usage${query}`, {}, token)
  expect(response.status).toBe(200)
  return UsageResponse.parse(await response.json())
}

async function ownUsageAsync(team: TeamRelay, token = ALICE.token): Promise<OwnerUsage> {
  const usage = await usageAsync(team, token)
  expect(usage.owners).toHaveLength(1)
  return usage.owners[0]!
}

describe('reserve, settle, release', () => {
  it('reserves the catalogue price while the edit runs and settles it with the cost the host reports', async () => {
    const team = await startTeamRelayAsync({ now: () => NOON, fake: { latencyMs: 1500, costPerImage: 0.05 } })
    const id = await team.createEditAsync({ prompt: 'Make the sky purple', numImages: 2 })

    expect(await ownUsageAsync(team)).toEqual({
      owner: 'alice',
      edits: 1,
      images: 0,
      spentUsd: 0,
      reservedUsd: 0.16,
      dailyBudgetUsd: 1,
      remainingUsd: 0.84,
      requestsPerMinute: 20
    })
    const [pending] = await team.store.usageEntriesAsync(DAY, 'alice')
    expect(pending).toMatchObject({
      jobId: id,
      owner: 'alice',
      day: DAY,
      provider: 'runware',
      model: 'kontext-max',
      images: 2,
      reservedUsd: 0.16,
      outcome: 'pending'
    })

    const job = await team.waitForEndAsync(id)
    expect(job).toMatchObject({ status: 'succeeded', cost: 0.1 })
    expect(job.costEstimated).toBeUndefined()
    expect(await ownUsageAsync(team)).toEqual({
      owner: 'alice',
      edits: 1,
      images: 2,
      spentUsd: 0.1,
      reservedUsd: 0,
      dailyBudgetUsd: 1,
      remainingUsd: 0.9,
      requestsPerMinute: 20
    })
    const [entry] = await team.store.usageEntriesAsync(DAY, 'alice')
    expect(entry).toMatchObject({ outcome: 'succeeded', costUsd: 0.1, costEstimated: false, delivered: 2, endedAt: NOON, createdAt: NOON })
  })

  it('settles with the catalogue price, marked estimated, when the host reports no cost', async () => {
    const team = await startTeamRelayAsync({ now: () => NOON, hideHostCost: true })
    const job = await team.waitForEndAsync(
      await team.createEditAsync({ prompt: 'Make the sky purple', model: 'kontext-pro', numImages: 3 })
    )
    expect(job).toMatchObject({ status: 'succeeded', cost: 0.12, costEstimated: true })
    const [entry] = await team.store.usageEntriesAsync(DAY)
    expect(entry).toMatchObject({ outcome: 'succeeded', costUsd: 0.12, costEstimated: true, reservedUsd: 0.12 })
    expect((await ownUsageAsync(team)).spentUsd).toBe(0.12)
  })

  it('releases the reservation of an edit the host refused', async () => {
    const team = await startTeamRelayAsync({ now: () => NOON })
    team.runware.failNext({ kind: 'moderation' })
    const job = await team.waitForEndAsync(await team.createEditAsync())
    expect(job.error?.code).toBe('moderated')
    const [entry] = await team.store.usageEntriesAsync(DAY)
    expect(entry).toMatchObject({ outcome: 'failed', costUsd: 0, errorCode: 'moderated', delivered: 0 })
    expect(await ownUsageAsync(team)).toMatchObject({ edits: 1, spentUsd: 0, reservedUsd: 0, remainingUsd: 1 })
  })

  it('releases the reservation of a canceled edit', async () => {
    const team = await startTeamRelayAsync({ now: () => NOON, fake: { latencyMs: 60_000 } })
    const id = await team.createEditAsync()
    expect((await team.requestAsync(`/v1/edits/${id}`, { method: 'DELETE' }, ALICE.token)).status).toBe(200)
    await team.relay.jobs.settleAsync()
    const [entry] = await team.store.usageEntriesAsync(DAY)
    expect(entry).toMatchObject({ outcome: 'canceled', costUsd: 0, errorCode: 'canceled' })
    expect(await ownUsageAsync(team)).toMatchObject({ spentUsd: 0, reservedUsd: 0, remainingUsd: 1 })
  })

  it('counts an edit on the UTC day it started, even when it ends the next day', async () => {
    const clock = { now: Date.UTC(2025, 5, 30, 23, 59, 59) }
    const team = await startTeamRelayAsync({ now: () => clock.now, fake: { latencyMs: 500 } })
    const id = await team.createEditAsync()
    clock.now += 2_000
    await team.waitForEndAsync(id)
    expect((await usageAsync(team, ALICE.token, '?day=2025-06-30')).owners[0]).toMatchObject({ edits: 1, spentUsd: 0.08 })
    expect((await usageAsync(team, ALICE.token)).owners[0]).toMatchObject({ edits: 0, spentUsd: 0 })
  })
})

describe('GET /v1/usage', () => {
  it('shows a token only its own owner, and an operator every owner, those without edits too', async () => {
    const team = await startTeamRelayAsync({ now: () => NOON, env: { RELAY_TOKENS: PLAIN_TOKEN } })
    await team.waitForEndAsync(await team.createEditAsync(), ALICE.token)
    await team.waitForEndAsync(
      await team.createEditAsync({ prompt: 'Make the sky purple', model: 'kontext-pro', numImages: 2 }, undefined, BOB.token),
      BOB.token
    )

    const own = await usageAsync(team, BOB.token)
    expect(own).toEqual({
      day: DAY,
      resetsAt: '2025-07-01T00:00:00.000Z',
      scope: 'own',
      owners: [
        {
          owner: 'bob',
          edits: 1,
          images: 2,
          spentUsd: 0.08,
          reservedUsd: 0,
          dailyBudgetUsd: null,
          remainingUsd: null,
          requestsPerMinute: 20
        }
      ]
    })

    const all = await usageAsync(team, OPS.token)
    expect(all.scope).toBe('all')
    expect(all.owners).toEqual([
      { owner: 'alice', edits: 1, images: 1, spentUsd: 0.08, reservedUsd: 0, dailyBudgetUsd: 1, remainingUsd: 0.92, requestsPerMinute: 20 },
      {
        owner: 'bob',
        edits: 1,
        images: 2,
        spentUsd: 0.08,
        reservedUsd: 0,
        dailyBudgetUsd: null,
        remainingUsd: null,
        requestsPerMinute: 20
      },
      { owner: 'ops', edits: 0, images: 0, spentUsd: 0, reservedUsd: 0, dailyBudgetUsd: null, remainingUsd: null, requestsPerMinute: 20 },
      {
        owner: await plainTokenOwnerAsync(PLAIN_TOKEN),
        edits: 0,
        images: 0,
        spentUsd: 0,
        reservedUsd: 0,
        dailyBudgetUsd: null,
        remainingUsd: null,
        requestsPerMinute: 30
      }
    ])
  })

  it('answers for another UTC day with ?day=, and 400 for a day that is not a date', async () => {
    const team = await startTeamRelayAsync({ now: () => NOON })
    await team.waitForEndAsync(await team.createEditAsync())
    expect((await usageAsync(team, ALICE.token, '?day=2025-06-29')).owners[0]).toMatchObject({
      owner: 'alice',
      edits: 0,
      spentUsd: 0,
      remainingUsd: 1
    })
    expect((await usageAsync(team, ALICE.token, `?day=${DAY}`)).owners[0]).toMatchObject({ edits: 1 })
    for (const day of ['yesterday', '2025-02-30', '2025-6-1', '../../etc']) {
      const response = await team.requestAsync(`/v1/usage?day=${encodeURIComponent(day)}`, {}, ALICE.token)
      expect(response.status, day).toBe(400)
      expect(await errorOf(response)).toEqual({
        code: 'invalid_request',
        message: 'day must be a UTC date written YYYY-MM-DD, such as 2025-06-30.'
      })
    }
  })

  it('keeps the ledger to owners, hosts, models, images, cost, outcome and time — never a token or a prompt', async () => {
    const team = await startTeamRelayAsync({ now: () => NOON, env: { RELAY_TOKENS: PLAIN_TOKEN } })
    await team.waitForEndAsync(await team.createEditAsync({ prompt: 'A secret launch name' }, undefined, PLAIN_TOKEN), PLAIN_TOKEN)
    const entries = await team.store.usageEntriesAsync(DAY)
    expect(entries).toHaveLength(1)
    expect(Object.keys(entries[0]!).sort()).toEqual(
      [
        'costEstimated',
        'costUsd',
        'createdAt',
        'day',
        'delivered',
        'endedAt',
        'images',
        'jobId',
        'model',
        'outcome',
        'owner',
        'provider',
        'reservedUsd'
      ].sort()
    )
    const text = JSON.stringify(entries)
    expect(text).not.toContain(PLAIN_TOKEN)
    expect(text).not.toContain('secret launch')
  })
})

itKeepsSecretsOut()
