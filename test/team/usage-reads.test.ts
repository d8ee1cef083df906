/**
 * `GET /v1/usage?day=…` is a read: asking about days nobody spent on leaves no ledger file behind
 * (before the fix, each day asked created an empty `ledger/<day>.jsonl`), and days outside what a
 * ledger can hold (before 2000, after tomorrow) are refused with 400.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { UsageResponse } from '../../shared/relay-api'
import { ALICE, errorOf, itKeepsSecretsOut, OPS, startTeamRelayAsync, tempDir } from './team-harness'

const NOON = Date.UTC(2025, 5, 30, 12, 0, 0)

describe('usage reads', () => {
  it('create no ledger file for a day asked about', async () => {
    const dataDir = tempDir()
    const team = await startTeamRelayAsync({ dataDir, now: () => NOON })
    await team.store.reserveUsageAsync(
      {
        jobId: 'spent',
        owner: 'alice',
        day: '2025-06-30',
        createdAt: NOON,
        provider: 'runware',
        model: 'kontext-max',
        images: 1,
        reservedUsd: 0.08,
        outcome: 'pending'
      },
      null
    )
    const before = readdirSync(join(dataDir, 'ledger')).sort()
    expect(before).toEqual(['2025-06-30.jsonl'])
    const asked = Array.from({ length: 20 }, (_, index) => new Date(Date.UTC(2025, 4, 1 + index)).toISOString().slice(0, 10))
    for (const day of asked) {
      for (const token of [ALICE.token, OPS.token]) {
        const response = await team.requestAsync(`/v1/usage?day=${day}`, {}, token)
        expect(response.status).toBe(200)
        expect(UsageResponse.parse(await response.json()).owners.every((owner) => owner.edits === 0)).toBe(true)
      }
    }
    const created = readdirSync(join(dataDir, 'ledger')).filter((file) => !before.includes(file))
    console.log(`usage reads: ${created.length} files created for ${asked.length} days asked`)
    expect(created).toEqual([])
    // The day that has spend still answers it.
    expect(
      UsageResponse.parse(await (await team.requestAsync('/v1/usage?day=2025-06-30', {}, ALICE.token)).json()).owners[0]
    ).toMatchObject({ edits: 1 })
  })

  it('accept days from 2000-01-01 to tomorrow (UTC), and refuse others with 400', async () => {
    const dataDir = tempDir()
    const team = await startTeamRelayAsync({ dataDir, now: () => NOON })
    for (const day of ['2000-01-01', '2025-06-30', '2025-07-01'])
      expect((await team.requestAsync(`/v1/usage?day=${day}`, {}, ALICE.token)).status, day).toBe(200)
    const refused: string[] = []
    for (const day of ['3000-06-15', '2025-07-02', '9999-12-31', '1999-12-31', '1970-01-01']) {
      const response = await team.requestAsync(`/v1/usage?day=${day}`, {}, ALICE.token)
      expect(response.status, day).toBe(400)
      expect(await errorOf(response)).toEqual({ code: 'invalid_request', message: 'day must be from 2000-01-01 to 2025-07-01 (UTC).' })
      refused.push(day)
    }
    console.log(`usage day range: ${refused.length} days outside 2000-01-01…tomorrow refused with 400`)
    expect(readdirSync(join(dataDir, 'ledger'))).toEqual([])
  })
})

itKeepsSecretsOut()
