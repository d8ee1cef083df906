import { describe, expect, it } from 'vitest'
import type { Account } from '../../relay/auth/account'
import { usageOfAsync } from '../../relay/http/usage-of-async'
import { createMemoryStore } from '../../relay/store/memory-store'
import type { UsageEntry } from '../../relay/usage/usage-entry'
import { AppError } from '../../shared/errors'

const NOON = Date.UTC(2025, 5, 30, 12)

function account(fields: Partial<Account>): Account {
  return { token: 't', owner: 'alice', dailyBudgetUsd: null, requestsPerMinute: 20, role: 'user', maxRunningEdits: 4, ...fields }
}

const ALICE = account({ token: 'ta', owner: 'alice', dailyBudgetUsd: 1 })
const BOB = account({ token: 'tb', owner: 'bob', requestsPerMinute: 5 })
const OPS = account({ token: 'to', owner: 'ops', role: 'operator' })

function entry(fields: Partial<UsageEntry>): UsageEntry {
  return {
    jobId: 'job',
    owner: 'alice',
    day: '2025-06-30',
    createdAt: NOON,
    provider: 'runware',
    model: 'kontext-max',
    images: 1,
    reservedUsd: 0.08,
    outcome: 'pending',
    ...fields
  }
}

async function storeWithAsync(entries: UsageEntry[]) {
  const store = createMemoryStore()
  for (const one of entries) {
    expect(await store.reserveUsageAsync(one, null)).toEqual({ ok: true })
    if (one.outcome !== 'pending') {
      await store.settleUsageAsync(one.day, one.jobId, {
        outcome: one.outcome,
        costUsd: one.costUsd ?? 0,
        costEstimated: false,
        delivered: one.delivered ?? 0,
        endedAt: NOON
      })
    }
  }
  return store
}

async function refusalAsync(day: string | undefined, now = NOON): Promise<string> {
  const store = await storeWithAsync([])
  const error = await usageOfAsync(ALICE, day, { store, accounts: [ALICE], now }).catch((thrown: unknown) => thrown)
  expect(error).toBeInstanceOf(AppError)
  expect((error as AppError).code).toBe('invalid_request')
  return (error as AppError).message
}

describe('usageOfAsync', () => {
  it('answers today by default, with the reset at the next UTC midnight and what is left of the budget', async () => {
    const store = await storeWithAsync([
      entry({ jobId: '1', outcome: 'succeeded', costUsd: 0.3, delivered: 2 }),
      entry({ jobId: '2', reservedUsd: 0.16 })
    ])
    expect(await usageOfAsync(ALICE, undefined, { store, accounts: [ALICE, BOB], now: NOON })).toEqual({
      day: '2025-06-30',
      resetsAt: '2025-07-01T00:00:00.000Z',
      scope: 'own',
      owners: [
        {
          owner: 'alice',
          edits: 2,
          images: 2,
          spentUsd: 0.3,
          reservedUsd: 0.16,
          dailyBudgetUsd: 1,
          remainingUsd: 0.54,
          requestsPerMinute: 20
        }
      ]
    })
  })

  it('never answers a remaining budget below 0', async () => {
    const store = await storeWithAsync([entry({ jobId: '1', outcome: 'succeeded', costUsd: 0.9 }), entry({ jobId: '2', reservedUsd: 0.2 })])
    const usage = await usageOfAsync(ALICE, undefined, { store, accounts: [ALICE], now: NOON })
    expect(usage.owners[0]).toMatchObject({ spentUsd: 0.9, reservedUsd: 0.2, remainingUsd: 0 })
  })

  it('answers an exactly used budget with 0 left', async () => {
    const store = await storeWithAsync([entry({ jobId: '1', outcome: 'succeeded', costUsd: 0.7 }), entry({ jobId: '2', reservedUsd: 0.3 })])
    expect((await usageOfAsync(ALICE, undefined, { store, accounts: [ALICE], now: NOON })).owners[0]!.remainingUsd).toBe(0)
  })

  it('answers a user only for itself, and a caller no token names with nulls', async () => {
    const store = await storeWithAsync([entry({ jobId: '1', owner: 'bob', outcome: 'succeeded', costUsd: 0.04, delivered: 1 })])
    const ghost = account({ owner: 'ghost' })
    expect((await usageOfAsync(BOB, undefined, { store, accounts: [ALICE, BOB], now: NOON })).owners).toEqual([
      { owner: 'bob', edits: 1, images: 1, spentUsd: 0.04, reservedUsd: 0, dailyBudgetUsd: null, remainingUsd: null, requestsPerMinute: 5 }
    ])
    expect((await usageOfAsync(ghost, undefined, { store, accounts: [ALICE], now: NOON })).owners).toEqual([
      {
        owner: 'ghost',
        edits: 0,
        images: 0,
        spentUsd: 0,
        reservedUsd: 0,
        dailyBudgetUsd: null,
        remainingUsd: null,
        requestsPerMinute: null
      }
    ])
  })

  it('shows an operator every token’s owner, then owners in the ledger no token names any more, each once', async () => {
    const store = await storeWithAsync([
      entry({ jobId: '1', owner: 'former', outcome: 'succeeded', costUsd: 0.08, delivered: 1 }),
      entry({ jobId: '2', owner: 'bob', reservedUsd: 0.04 })
    ])
    const usage = await usageOfAsync(OPS, '2025-06-30', { store, accounts: [ALICE, BOB, OPS], now: NOON })
    expect(usage.scope).toBe('all')
    expect(usage.owners.map((owner) => owner.owner)).toEqual(['alice', 'bob', 'ops', 'former'])
    expect(usage.owners[0]).toMatchObject({ edits: 0, dailyBudgetUsd: 1, remainingUsd: 1 })
    expect(usage.owners[1]).toMatchObject({ edits: 1, reservedUsd: 0.04, remainingUsd: null })
    expect(usage.owners[3]).toEqual({
      owner: 'former',
      edits: 1,
      images: 1,
      spentUsd: 0.08,
      reservedUsd: 0,
      dailyBudgetUsd: null,
      remainingUsd: null,
      requestsPerMinute: null
    })
  })

  it('answers another day, resetting at that day’s end', async () => {
    const store = await storeWithAsync([entry({ jobId: '1', day: '2024-02-28', outcome: 'succeeded', costUsd: 0.5 })])
    const usage = await usageOfAsync(ALICE, '2024-02-28', { store, accounts: [ALICE], now: NOON })
    expect(usage).toMatchObject({ day: '2024-02-28', resetsAt: '2024-02-29T00:00:00.000Z' })
    expect(usage.owners[0]).toMatchObject({ spentUsd: 0.5, remainingUsd: 0.5 })
  })

  it('takes days from 2000-01-01 to tomorrow, and refuses one day either side', async () => {
    const store = await storeWithAsync([])
    const deps = { store, accounts: [ALICE], now: NOON }
    expect((await usageOfAsync(ALICE, '2000-01-01', deps)).resetsAt).toBe('2000-01-02T00:00:00.000Z')
    expect((await usageOfAsync(ALICE, '2025-07-01', deps)).resetsAt).toBe('2025-07-02T00:00:00.000Z')
    expect(await refusalAsync('1999-12-31')).toBe('day must be from 2000-01-01 to 2025-07-01 (UTC).')
    expect(await refusalAsync('2025-07-02')).toBe('day must be from 2000-01-01 to 2025-07-01 (UTC).')
    // Just before midnight, tomorrow is still the next day.
    expect(await refusalAsync('2025-07-02', Date.UTC(2025, 5, 30, 23, 59, 59, 999))).toBe(
      'day must be from 2000-01-01 to 2025-07-01 (UTC).'
    )
  })

  it('refuses a day that is not a real date written YYYY-MM-DD', async () => {
    const message = 'day must be a UTC date written YYYY-MM-DD, such as 2025-06-30.'
    for (const day of [
      '',
      'yesterday',
      '2025-02-30',
      '2025-13-01',
      '2025-00-10',
      '2025-6-1',
      ' 2025-06-30',
      '2025-06-30 ',
      'x2025-06-30',
      '2025-06-30x',
      '20250-06-30'
    ]) {
      expect(await refusalAsync(day), day).toBe(message)
    }
  })
})
