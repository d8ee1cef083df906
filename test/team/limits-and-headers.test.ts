/**
 * Every limit of POST /v1/edits answers a clear 4xx before any host call, and every answer carries
 * the security headers and a request id. (The other limits' tests are in test/relay/edit-validation.)
 */
import { describe, expect, it } from 'vitest'
import { makePng } from '../fakes/make-image'
import { ALICE, editForm, errorOf, itKeepsSecretsOut, REFERENCE, startTeamRelayAsync, type TeamRelay } from './team-harness'

async function expectRefusedAsync(
  team: TeamRelay,
  response: Response,
  status: number,
  code: string,
  message: RegExp | string
): Promise<void> {
  expect(response.status).toBe(status)
  const error = await errorOf(response)
  expect(error.code).toBe(code)
  if (typeof message === 'string') expect(error.message).toBe(message)
  else expect(error.message).toMatch(message)
  expect(team.runware.requests, 'nothing reaches the host').toHaveLength(0)
  expect(await team.store.listJobsAsync(), 'no job is created').toHaveLength(0)
}

const GIF = new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0, 0, 0, 0x3b])

describe('the limits of an edit', () => {
  it('a prompt of 3001 characters: 400 naming the limit; 3000 is accepted', async () => {
    const team = await startTeamRelayAsync()
    await expectRefusedAsync(
      team,
      await team.postEditAsync({ prompt: 'x'.repeat(3001) }),
      400,
      'invalid_request',
      'prompt: The instruction can have at most 3000 characters.'
    )
    expect((await team.postEditAsync({ prompt: 'x'.repeat(3000) })).status).toBe(202)
  })

  it('numImages 0 or 5: 400 saying the range', async () => {
    const team = await startTeamRelayAsync()
    await expectRefusedAsync(
      team,
      await team.postEditAsync({ prompt: 'Make it blue', numImages: 0 }),
      400,
      'invalid_request',
      'numImages: must be at least 1.'
    )
    await expectRefusedAsync(
      team,
      await team.postEditAsync({ prompt: 'Make it blue', numImages: 5 }),
      400,
      'invalid_request',
      'numImages: must be at most 4.'
    )
    await expectRefusedAsync(
      team,
      await team.postEditAsync({ prompt: 'Make it blue', numImages: 2.5 }),
      400,
      'invalid_request',
      /^numImages: /
    )
  })

  it('no image, or nine: 400 saying how many are allowed', async () => {
    const team = await startTeamRelayAsync()
    await expectRefusedAsync(
      team,
      await team.postEditAsync({ prompt: 'Make it blue' }, [], ALICE.token),
      400,
      'invalid_request',
      'Add at least one "image" part with the reference image.'
    )
    await expectRefusedAsync(
      team,
      await team.postEditAsync(
        { prompt: 'Make it blue' },
        Array.from({ length: 9 }, () => REFERENCE),
        ALICE.token
      ),
      400,
      'invalid_request',
      'Send at most 8 reference images; this request has 9.'
    )
  })

  it('a GIF (magic bytes of no allowed type): 400 invalid_image', async () => {
    const team = await startTeamRelayAsync()
    await expectRefusedAsync(
      team,
      await team.postEditAsync({ prompt: 'Make it blue' }, [GIF], ALICE.token),
      400,
      'invalid_image',
      /^The image is not a complete PNG, JPEG or WebP/
    )
  })

  it('a PNG whose header claims a size its data does not have is refused by its decoded size', async () => {
    const team = await startTeamRelayAsync()
    const claimsWide = new Uint8Array(makePng(64, 36))
    new DataView(claimsWide.buffer).setUint32(16, 6000)
    new DataView(claimsWide.buffer).setUint32(20, 4000)
    await expectRefusedAsync(
      team,
      await team.postEditAsync({ prompt: 'Make it blue' }, [claimsWide], ALICE.token),
      400,
      'invalid_image',
      /6000×4000 pixels; the limit is 20 megapixels/
    )
  })

  it('a body over MAX_REQUEST_MB: 413 payload_too_large naming the limit', async () => {
    const team = await startTeamRelayAsync({ env: { MAX_REQUEST_MB: '1' } })
    const big = new Uint8Array(1_200_000)
    big.set(REFERENCE)
    const response = await team.requestAsync(
      '/v1/edits',
      { method: 'POST', body: editForm({ prompt: 'Make it blue' }, [big]) },
      ALICE.token
    )
    await expectRefusedAsync(team, response, 413, 'payload_too_large', 'The request is larger than this relay accepts (1 MB).')
  })
})

describe('headers on every answer', () => {
  const SECURITY = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'SAMEORIGIN',
    'referrer-policy': 'no-referrer',
    'strict-transport-security': 'max-age=15552000; includeSubDomains',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'"
  }

  it('carries the security headers and an X-Request-Id on success, error, image and preflight answers', async () => {
    const team = await startTeamRelayAsync()
    const id = await team.createEditAsync()
    await team.waitForEndAsync(id)
    const answers: Array<[string, Response]> = [
      ['health', await team.requestAsync('/v1/health')],
      ['models', await team.requestAsync('/v1/models')],
      ['job', await team.requestAsync(`/v1/edits/${id}`, {}, ALICE.token)],
      ['image', await team.requestAsync(`/v1/edits/${id}/images/0`, {}, ALICE.token)],
      ['usage', await team.requestAsync('/v1/usage', {}, ALICE.token)],
      ['401', await team.requestAsync('/v1/usage')],
      ['404', await team.requestAsync('/v1/nowhere', {}, ALICE.token)],
      ['400', await team.requestAsync('/v1/edits', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } }, ALICE.token)]
    ]
    for (const [name, response] of answers) {
      for (const [header, value] of Object.entries(SECURITY)) expect(response.headers.get(header), `${name}: ${header}`).toBe(value)
      expect(response.headers.get('x-request-id'), name).toMatch(/^[\w-]{8,}$/)
      expect(response.headers.get('cache-control'), name).toBe(name === 'image' ? 'private, max-age=3600, immutable' : 'no-store')
    }
    const preflight = await team.requestAsync('/v1/edits', {
      method: 'OPTIONS',
      headers: { origin: 'null', 'access-control-request-method': 'POST' }
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('x-request-id')).toMatch(/^[\w-]{8,}$/)
  })
})

itKeepsSecretsOut()
