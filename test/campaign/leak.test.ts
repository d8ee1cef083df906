/**
 * The leak check's own test. The check itself covers the whole run: every relay any test file
 * builds is tapped (test/support/leak-sink-setup.ts), each file's responses and log lines are
 * searched for that file's host keys (and its access tokens, in logs) when the file ends — a hit
 * fails that file — and the run's figure is printed at the end by test/support/leak-global-setup.ts
 * ("leak scan (whole run): … 0 hits"), which fails the run on a hit too. Here: the tap is in place,
 * the search finds a planted key, and this file's own relay traffic is clean.
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { parseRelayConfig } from '../../relay/config'
import { createRelay } from '../../relay/relay'
import { findLeaks, leakSinkCounts } from '../support/leak-sink'
import { startFakeRunwareAsync } from '../fakes/runware-server'
import { makePng } from '../fakes/make-image'

describe('leak check', () => {
  it('taps every relay createRelay builds: its keys, responses and log lines reach the sink, with 0 hits', async () => {
    const runware = await startFakeRunwareAsync({ apiKey: `rw-leak-${randomUUID()}` })
    const token = `leak-token-${randomUUID()}`
    try {
      const before = leakSinkCounts()
      const relay = createRelay(parseRelayConfig({ RELAY_TOKENS: token, RUNWARE_API_KEY: runware.apiKey, RUNWARE_API_URL: runware.url }), {
        fetch,
        log: () => undefined
      })
      const form = new FormData()
      form.append('request', JSON.stringify({ prompt: 'Make the sky purple' }))
      form.append('image', new Blob([new Uint8Array(makePng(64, 36, 5))], { type: 'image/png' }), 'frame.png')
      const created = await relay.app.request('/v1/edits', { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } })
      expect(created.status).toBe(202)
      const { id } = (await created.json()) as { id: string }
      await relay.jobs.settleAsync()
      await relay.app.request(`/v1/edits/${id}`, { headers: { authorization: `Bearer ${token}` } })
      await relay.app.request('/v1/health', { headers: { authorization: `Bearer ${token}` } })
      await new Promise((resolve) => setTimeout(resolve, 20))
      const after = leakSinkCounts()
      expect(after.hostKeys).toBeGreaterThan(before.hostKeys)
      expect(after.accessTokens).toBeGreaterThan(before.accessTokens)
      expect(after.responses - before.responses).toBeGreaterThanOrEqual(3)
      expect(after.logLines - before.logLines).toBeGreaterThan(0)
      console.log(
        `leak (this file so far): ${after.responses} responses and ${after.logLines} log lines tapped, ${after.hostKeys} host keys and ${after.accessTokens} access tokens registered; the whole run's figure is the "leak scan (whole run)" line at the end`
      )
    } finally {
      await runware.close()
    }
  })

  it('finds a key wherever it is planted, and does not flag what is not a key', () => {
    const key = `rw-planted-${randomUUID()}`
    const token = `tok-planted-${randomUUID()}`
    const hits = findLeaks({
      responses: [
        '200\ncontent-type: application/json\n\n{"ok":true}',
        `502\n\n{"error":{"message":"host said ${key}"}}`,
        `200\nx-debug: ${key}\n\n`
      ],
      logLines: [`provider.error {"detail":"Bearer ${key}"}`, `http.request {"auth":"${token}"}`, 'job.created {"owner":"alice"}'],
      hostKeys: [key],
      accessTokens: [token]
    })
    expect(hits.map((hit) => `${hit.kind} in a ${hit.where}`)).toEqual([
      'host key in a response',
      'host key in a response',
      'host key in a log',
      'access token in a log'
    ])
    expect(findLeaks({ responses: ['{"ok":true}'], logLines: ['x'], hostKeys: [key], accessTokens: [token] })).toEqual([])
  })
})
