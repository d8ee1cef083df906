/**
 * Finding: nothing capped the edits in flight. One token had 1,000 edits running at once, and 16
 * edits with two 19.8 MB references took the relay from 347 MB to 4.4 GB.
 *
 * Here, over HTTP (`app.request`) against the fake Runware on 127.0.0.1 with slow tasks so edits
 * stay running: the per-owner cap (tokens-file `maxRunningEdits`, default 4 also for RELAY_TOKENS
 * tokens) answers 429 with Retry-After; the relay-wide cap (RELAY_MAX_RUNNING_EDITS) and the bytes
 * in flight (RELAY_MAX_INFLIGHT_MB) answer 503 with Retry-After; a reference larger than Kontext
 * can use is refused with a message that says so, before any host call. Bounded loops only.
 */
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { ErrorBody } from '../../shared/relay-api'
import { makePng } from '../fakes/make-image'
import {
  ALICE,
  BOB,
  editForm,
  itKeepsSecretsOut,
  OPS,
  PLAIN_TOKEN,
  startTeamRelayAsync,
  TEAM_TOKENS,
  type TeamRelay
} from '../team/team-harness'

/** Slow enough that every edit of a test is still running at the host when the next one comes. */
const SLOW_HOST = { latencyMs: 5_000 }
const EDIT = { prompt: 'Make the sky purple' }

/** A PNG of noise: its bytes are about its pixels × 4, as a photo's would be (a gradient compresses to nothing). */
function noisePng(width: number, height: number, seed: number): Uint8Array {
  const png = new PNG({ width, height })
  let state = seed >>> 0
  for (let index = 0; index < png.data.length; index += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    png.data[index] = index % 4 === 3 ? 255 : state >>> 24
  }
  return new Uint8Array(PNG.sync.write(png))
}

function withTokens(overrides: Record<string, unknown>[]) {
  return { tokens: TEAM_TOKENS.tokens.map((entry, index) => ({ ...entry, requestsPerMinute: 1000, ...overrides[index] })) }
}

async function refusal(response: Response): Promise<{ status: number; code: string; message: string; retryAfter: string | null }> {
  const { code, message } = ErrorBody.parse(await response.json()).error
  return { status: response.status, code, message, retryAfter: response.headers.get('retry-after') }
}

async function settle(team: TeamRelay): Promise<void> {
  team.runware.setLatency(0)
  await team.close()
}

describe('caps: running edits per owner', () => {
  it('one token firing 40 edits at once gets its maxRunningEdits running and 429 with Retry-After for the rest; another owner is not held up', async () => {
    const team = await startTeamRelayAsync({ tokens: withTokens([{ maxRunningEdits: 3, dailyBudgetUsd: null }]), fake: SLOW_HOST })
    const answers = await Promise.all(Array.from({ length: 40 }, () => team.postEditAsync(EDIT, undefined, ALICE.token)))
    const accepted = answers.filter((response) => response.status === 202).length
    const refused = await Promise.all(answers.filter((response) => response.status !== 202).map(refusal))
    console.log(`caps: 40 edits at once from one token → ${accepted} running, ${refused.length} answered 429 (maxRunningEdits 3)`)
    expect(accepted).toBe(3)
    expect(refused).toHaveLength(37)
    for (const answer of refused) {
      expect(answer).toMatchObject({ status: 429, code: 'rate_limited' })
      expect(Number(answer.retryAfter)).toBeGreaterThan(0)
    }
    expect(refused[0]!.message).toMatch(/You have 3 edits running, the most this access token may run at once \(3\)/)
    expect((await team.postEditAsync(EDIT, undefined, BOB.token)).status).toBe(202)
    await settle(team)
  }, 30_000)

  it('frees the place when an edit ends, so the owner can start another', async () => {
    const team = await startTeamRelayAsync({
      tokens: withTokens([{ maxRunningEdits: 1, dailyBudgetUsd: null }]),
      fake: { latencyMs: 1_000 }
    })
    const first = await team.createEditAsync(EDIT, undefined, ALICE.token)
    expect((await team.postEditAsync(EDIT, undefined, ALICE.token)).status).toBe(429)
    team.runware.setLatency(0)
    await team.requestAsync(`/v1/edits/${first}`, { method: 'DELETE' }, ALICE.token)
    await team.relay.jobs.settleAsync()
    expect(team.relay.jobs.capacity()).toMatchObject({ running: 0, inflightBytes: 0 })
    expect((await team.postEditAsync(EDIT, undefined, ALICE.token)).status).toBe(202)
    await settle(team)
  }, 30_000)

  it('gives RELAY_TOKENS tokens the default of 4 running edits', async () => {
    const team = await startTeamRelayAsync({ env: { RELAY_TOKENS: PLAIN_TOKEN }, fake: SLOW_HOST })
    const answers = await Promise.all(Array.from({ length: 6 }, () => team.postEditAsync(EDIT, undefined, PLAIN_TOKEN)))
    expect(answers.map((response) => response.status).sort()).toEqual([202, 202, 202, 202, 429, 429])
    await settle(team)
  }, 30_000)
})

describe('caps: the whole relay', () => {
  it('RELAY_MAX_RUNNING_EDITS: past it, 503 with Retry-After for every owner', async () => {
    const team = await startTeamRelayAsync({
      tokens: withTokens([{ dailyBudgetUsd: null }]),
      env: { RELAY_MAX_RUNNING_EDITS: '3' },
      fake: SLOW_HOST
    })
    expect((await team.postEditAsync(EDIT, undefined, ALICE.token)).status).toBe(202)
    expect((await team.postEditAsync(EDIT, undefined, ALICE.token)).status).toBe(202)
    expect((await team.postEditAsync(EDIT, undefined, BOB.token)).status).toBe(202)
    const busy = await refusal(await team.postEditAsync(EDIT, undefined, OPS.token))
    expect(busy).toMatchObject({ status: 503, code: 'relay_busy' })
    expect(busy.message).toMatch(/The relay is busy: it runs at most 3 edits at once/)
    expect(Number(busy.retryAfter)).toBeGreaterThan(0)
    expect(team.runware.accepted.length + 0).toBeLessThanOrEqual(3)
    await settle(team)
  }, 30_000)

  it('RELAY_MAX_INFLIGHT_MB: an upload that would pass the bytes the relay holds is refused with 503 before it is read', async () => {
    const team = await startTeamRelayAsync({
      tokens: withTokens([{ dailyBudgetUsd: null }, {}]),
      env: { RELAY_MAX_INFLIGHT_MB: '1' },
      fake: SLOW_HOST
    })
    const large = noisePng(420, 420, 3) // ~0.7 MB
    expect(large.length).toBeGreaterThan(600_000)
    expect((await team.postEditAsync(EDIT, [large], ALICE.token)).status).toBe(202)
    expect(team.relay.jobs.capacity().inflightBytes).toBe(large.length)
    // Declared with Content-Length, as browsers and fetch send a form: refused from the header.
    const body = await new Response(editForm(EDIT, [large])).arrayBuffer()
    const response = await team.requestAsync(
      '/v1/edits',
      {
        method: 'POST',
        body,
        headers: {
          'content-type': new Response(editForm(EDIT, [large])).headers.get('content-type')!,
          'content-length': String(body.byteLength)
        }
      },
      BOB.token
    )
    const busy = await refusal(response)
    expect(busy).toMatchObject({ status: 503, code: 'relay_busy' })
    expect(busy.message).toMatch(/The relay is busy: it holds 1 MB of images for running edits, and takes at most 1 MB/)
    // Without a declared size: refused once its references are known, still before the host.
    const undeclared = await refusal(await team.postEditAsync(EDIT, [large], BOB.token))
    expect(undeclared).toMatchObject({ status: 503, code: 'relay_busy' })
    // A small edit still fits beside it.
    expect((await team.postEditAsync(EDIT, [makePng(64, 36, 2)], BOB.token)).status).toBe(202)
    expect(team.runware.accepted.length).toBeLessThanOrEqual(2)
    await settle(team)
  }, 30_000)
})

describe('caps: references larger than Kontext can use', () => {
  it('refuses a 2100×2100 reference with a message saying Kontext works at about one megapixel, before any host call; 2048×2048 is taken', async () => {
    const team = await startTeamRelayAsync({ tokens: withTokens([{ dailyBudgetUsd: null }]) })
    const refused = await refusal(await team.postEditAsync(EDIT, [makePng(2100, 2100, 4)], ALICE.token))
    console.log(`caps: a 2100×2100 reference → ${refused.status} ${refused.code}`)
    expect(refused).toMatchObject({ status: 400, code: 'invalid_image' })
    expect(refused.message).toMatch(
      /The image is 2100×2100 \(4\.4 MP\)\. FLUX\.1 Kontext \[max\] works at about one megapixel and uses references of at most 4\.2 MP/
    )
    expect(team.runware.requests).toHaveLength(0)
    const second = await refusal(await team.postEditAsync(EDIT, [makePng(64, 36, 1), makePng(1000, 4500, 5)], ALICE.token))
    expect(second.message).toMatch(/^Image 2 is 1000×4500 \(4\.5 MP\)/)
    expect((await team.postEditAsync(EDIT, [makePng(2048, 2048, 6)], ALICE.token)).status).toBe(202)
    await team.relay.jobs.settleAsync()
  }, 30_000)
})

itKeepsSecretsOut()
