import { describe, expect, it } from 'vitest'
import { ERROR_MESSAGES } from '../../shared/errors'
import { Health, UsageResponse } from '../../shared/relay-api'
import { ALICE, BOB, errorOf, itKeepsSecretsOut, OPS, PLAIN_TOKEN, startTeamRelayAsync, TEAM_TOKENS } from './team-harness'

const NOON = Date.UTC(2025, 5, 30, 12, 0, 0)

function clockAt(start: number) {
  const clock = { now: start }
  return { clock, now: () => clock.now }
}

describe('who may call', () => {
  it('answers 401 to a request without a token and to a token the file does not name, before any host call', async () => {
    const team = await startTeamRelayAsync()
    const missing = await team.requestAsync('/v1/edits', { method: 'POST' })
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer /)
    expect(await errorOf(missing)).toEqual({ code: 'unauthorized', message: expect.stringMatching(/Authorization: Bearer/) })

    const unknown = await team.postEditAsync(undefined, undefined, `${ALICE.token}x`)
    expect(unknown.status).toBe(401)
    expect((await errorOf(unknown)).message).toMatch(/not valid/)

    for (const path of ['/v1/usage', '/v1/edits/some-id', '/v1/edits/some-id/images/0']) {
      expect((await team.requestAsync(path, {}, 'nobody-nobody-nobody-1')).status, path).toBe(401)
    }
    expect(team.runware.requests).toHaveLength(0)
  })

  it('accepts every token of the file and of RELAY_TOKENS, and health says so', async () => {
    const team = await startTeamRelayAsync({ env: { RELAY_TOKENS: PLAIN_TOKEN } })
    for (const token of [ALICE.token, BOB.token, OPS.token, PLAIN_TOKEN]) {
      expect(Health.parse(await (await team.requestAsync('/v1/health', {}, token)).json()).auth).toBe('valid')
      expect((await team.requestAsync('/v1/usage', {}, token)).status).toBe(200)
    }
    expect(Health.parse(await (await team.requestAsync('/v1/health', {}, 'nobody-nobody-nobody-1')).json()).auth).toBe('invalid')
  })

  it('shows a job only to the owner whose token created it', async () => {
    const team = await startTeamRelayAsync()
    const id = await team.createEditAsync(undefined, undefined, ALICE.token)
    await team.waitForEndAsync(id, ALICE.token)
    for (const token of [BOB.token, OPS.token]) {
      expect((await team.requestAsync(`/v1/edits/${id}`, {}, token)).status).toBe(404)
      expect((await team.requestAsync(`/v1/edits/${id}/images/0`, {}, token)).status).toBe(404)
    }
  })
})

describe('the rate of each token', () => {
  it('answers 429 with Retry-After once a token has used its edits a minute, before the host is called, and lets it go on as the minute refills', async () => {
    const { clock, now } = clockAt(NOON)
    const tokens = { tokens: [{ ...TEAM_TOKENS.tokens[0]!, requestsPerMinute: 2 }, TEAM_TOKENS.tokens[1]!] }
    const team = await startTeamRelayAsync({ tokens, now })
    await team.createEditAsync()
    await team.createEditAsync()

    const refused = await team.postEditAsync()
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('30')
    expect(refused.headers.get('access-control-expose-headers')).toMatch(/Retry-After/i)
    expect(await errorOf(refused)).toEqual({
      code: 'rate_limited',
      message: 'Too many edits: this access token may start 2 a minute. Try again in 30 seconds.'
    })

    // Another token has its own allowance.
    expect((await team.postEditAsync(undefined, undefined, BOB.token)).status).toBe(202)
    // Polls and downloads do not count.
    expect((await team.requestAsync('/v1/usage', {}, ALICE.token)).status).toBe(200)

    clock.now += 29_000
    const stillRefused = await team.postEditAsync()
    expect(stillRefused.status).toBe(429)
    expect(stillRefused.headers.get('retry-after')).toBe('1')
    clock.now += 1_000
    expect((await team.postEditAsync()).status).toBe(202)
    expect((await team.postEditAsync()).status).toBe(429)

    await team.relay.jobs.settleAsync()
    // Three of alice's edits and bob's reached the host; the refused ones never did.
    expect(team.runware.accepted).toHaveLength(4)
    expect(team.logs.filter((line) => line.event === 'http.rate_limited').map((line) => line.fields.owner)).toEqual([
      'alice',
      'alice',
      'alice'
    ])
  })

  it('gives RELAY_TOKENS tokens the default of 30 edits a minute', async () => {
    const team = await startTeamRelayAsync({ tokens: null, env: { RELAY_TOKENS: PLAIN_TOKEN }, now: () => NOON, fake: { latencyMs: 0 } })
    const statuses: number[] = []
    for (let edit = 0; edit < 31; edit += 1)
      statuses.push(
        (await team.requestAsync('/v1/edits', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } }, PLAIN_TOKEN)).status
      )
    expect(statuses.slice(0, 30).every((status) => status === 400)).toBe(true)
    expect(statuses[30]).toBe(429)
  })
})

describe('the daily budget', () => {
  const tenCents = { tokens: [{ ...TEAM_TOKENS.tokens[0]!, dailyBudgetUsd: 0.1 }, TEAM_TOKENS.tokens[1]!, TEAM_TOKENS.tokens[2]!] }

  it('answers 402 budget_exceeded when the price would pass the budget, before the host is called', async () => {
    const team = await startTeamRelayAsync({ tokens: tenCents, now: () => NOON })
    const first = await team.createEditAsync()
    expect((await team.waitForEndAsync(first)).status).toBe('succeeded')
    const billed = team.runware.accepted.length
    expect(billed).toBe(1)

    const refused = await team.postEditAsync()
    expect(refused.status).toBe(402)
    const error = await errorOf(refused)
    expect(error.code).toBe('budget_exceeded')
    expect(error.message).toBe(
      'This edit (about $0.08) does not fit your daily budget of $0.10 on this relay: $0.08 is spent or held by running edits today. It starts again at midnight UTC, or ask whoever runs the relay to raise it.'
    )
    expect(ERROR_MESSAGES.budget_exceeded).toMatch(/daily budget/)
    expect(team.runware.accepted.length).toBe(billed)

    // A cheaper model still fits; an owner without a budget is not affected.
    expect((await team.postEditAsync({ prompt: 'Make the sky purple', model: 'kontext-dev' })).status).toBe(202)
    expect((await team.postEditAsync(undefined, undefined, BOB.token)).status).toBe(202)
  })

  it('counts running edits against the budget, so two edits cannot both take its last part', async () => {
    const team = await startTeamRelayAsync({ tokens: tenCents, now: () => NOON, fake: { latencyMs: 2000 } })
    const [first, second] = await Promise.all([team.postEditAsync(), team.postEditAsync()])
    expect([first.status, second.status].sort()).toEqual([202, 402])
    const usage = UsageResponse.parse(await (await team.requestAsync('/v1/usage', {}, ALICE.token)).json())
    expect(usage.owners[0]).toMatchObject({ owner: 'alice', edits: 1, spentUsd: 0, reservedUsd: 0.08, remainingUsd: 0.02 })
  })

  it('refuses an edit of four variants whose price alone is over the budget', async () => {
    const team = await startTeamRelayAsync({ tokens: { tokens: [{ ...TEAM_TOKENS.tokens[0]!, dailyBudgetUsd: 0.3 }] }, now: () => NOON })
    const response = await team.postEditAsync({ prompt: 'Make the sky purple', numImages: 4 })
    expect(response.status).toBe(402)
    expect((await errorOf(response)).message).toMatch(/about \$0\.32.*budget of \$0\.30.*\$0\.00 is spent/)
  })

  it('starts again at midnight UTC', async () => {
    const { clock, now } = clockAt(Date.UTC(2025, 5, 30, 23, 59, 0))
    const team = await startTeamRelayAsync({ tokens: tenCents, now })
    await team.waitForEndAsync(await team.createEditAsync())
    expect((await team.postEditAsync()).status).toBe(402)
    clock.now = Date.UTC(2025, 6, 1, 0, 0, 0)
    expect((await team.postEditAsync()).status).toBe(202)
    const usage = UsageResponse.parse(await (await team.requestAsync('/v1/usage', {}, ALICE.token)).json())
    expect(usage).toMatchObject({ day: '2025-07-01', resetsAt: '2025-07-02T00:00:00.000Z' })
  })

  it('lets a budget of 0 run only free edits', async () => {
    const team = await startTeamRelayAsync({ tokens: { tokens: [{ ...TEAM_TOKENS.tokens[0]!, dailyBudgetUsd: 0 }] }, now: () => NOON })
    expect((await team.postEditAsync()).status).toBe(402)
  })
})

itKeepsSecretsOut()
