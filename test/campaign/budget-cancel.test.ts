/**
 * Finding: a budget could be bypassed by cancelling. Runware cannot stop a task it has accepted
 * (the catalogue's `cancel: false` in shared/models.ts; docs/hosts.md, "Runware": its API has no
 * cancel task), yet a DELETE released the edit's reservation: 50 × (POST, DELETE 30 ms later)
 * with a $1 budget reached the host 50 times, each billed, and the ledger showed $0.
 *
 * Here: the same loop over HTTP (`app.request`) against the fake Runware on 127.0.0.1, whose tasks
 * take 300 ms. The relay must answer each DELETE as canceled, keep the reservation until the host
 * ends, and settle what the host billed: at most 12 edits of $0.08 reach the host, and what the
 * ledger holds for the owner (spent + reserved) is never above $1, sampled after every answer and
 * every 5 ms beside the loop. Bounded: 50 iterations.
 */
import { describe, expect, it } from 'vitest'
import { toMicros } from '../../relay/usage/to-micros'
import { utcDay } from '../../relay/usage/utc-day'
import { chargedMicros } from '../../relay/usage/charged-micros'
import { EditJob } from '../../shared/relay-api'
import { sleepAsync } from '../../shared/sleep-async'
import { ALICE, itKeepsSecretsOut, startTeamRelayAsync, TEAM_TOKENS } from '../team/team-harness'

const EDITS = 50
const BUDGET_USD = 1
const PRICE_USD = 0.08

describe('budget-cancel: cancelling on a host that cannot cancel does not free the budget', () => {
  it('50 × (POST, DELETE 30 ms later) with a $1 budget at $0.08: at most 12 host submissions, spent + reserved never above $1', async () => {
    // A rate and a running-edit cap high enough that only the budget can stop the loop.
    const tokens = {
      tokens: [
        { ...TEAM_TOKENS.tokens[0]!, dailyBudgetUsd: BUDGET_USD, requestsPerMinute: 1000, maxRunningEdits: 100 },
        ...TEAM_TOKENS.tokens.slice(1)
      ]
    }
    const team = await startTeamRelayAsync({ tokens, fake: { latencyMs: 300 } })
    const day = utcDay(Date.now())
    let maxCharged = 0
    const sample = async (): Promise<void> => {
      let charged = 0
      for (const entry of await team.store.usageEntriesAsync(day)) if (entry.owner === ALICE.owner) charged += chargedMicros(entry)
      maxCharged = Math.max(maxCharged, charged)
    }
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        await sample()
        await sleepAsync(5, new AbortController().signal)
      }
    })()

    const statuses: number[] = []
    const ids: string[] = []
    for (let index = 0; index < EDITS; index += 1) {
      const created = await team.postEditAsync({ prompt: 'Make the sky purple', model: 'kontext-max' })
      statuses.push(created.status)
      await sample()
      if (created.status !== 202) {
        await created.body?.cancel()
        continue
      }
      const { id } = (await created.json()) as { id: string }
      ids.push(id)
      await sleepAsync(30, new AbortController().signal)
      const canceled = await team.requestAsync(`/v1/edits/${id}`, { method: 'DELETE' }, ALICE.token)
      expect(canceled.status).toBe(200)
      expect(EditJob.parse(await canceled.json()).status).toBe('canceled')
      await sample()
    }
    await team.relay.jobs.settleAsync()
    sampling = false
    await sampler
    await sample()

    const submissions = team.runware.accepted.length
    const entries = (await team.store.usageEntriesAsync(day)).filter((entry) => entry.owner === ALICE.owner)
    const spent = entries.reduce((sum, entry) => sum + chargedMicros(entry), 0)
    console.log(
      `budget-cancel: ${submissions} submissions, max spent+reserved $${(maxCharged / 1e6).toFixed(2)} of $${BUDGET_USD.toFixed(2)}, settled $${(spent / 1e6).toFixed(2)}, ${statuses.filter((status) => status === 402).length} refused 402`
    )

    expect(submissions).toBeLessThanOrEqual(Math.floor(BUDGET_USD / PRICE_USD))
    expect(maxCharged).toBeLessThanOrEqual(toMicros(BUDGET_USD))
    expect(statuses.filter((status) => status !== 202 && status !== 402)).toEqual([])
    // Every edit the host ran was billed, and the ledger says so.
    expect(spent).toBe(toMicros(submissions * PRICE_USD))
    expect(entries.every((entry) => entry.outcome !== 'pending')).toBe(true)
    // The canceled edits the host finished keep their images for their owner.
    const ended = EditJob.parse(await (await team.requestAsync(`/v1/edits/${ids[0]}`, {}, ALICE.token)).json())
    expect(ended).toMatchObject({ status: 'canceled', error: { code: 'canceled' } })
    expect(ended.images).toHaveLength(1)
    expect((await team.requestAsync(ended.images[0]!.url, {}, ALICE.token)).status).toBe(200)
  }, 60_000)
})

itKeepsSecretsOut()
