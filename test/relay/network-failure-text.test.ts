import { describe, expect, it } from 'vitest'
import { KONTEXT_SIZES } from '../../shared/aspect-ratios'
import { describeError } from '../../shared/describe-error'
import { AppError } from '../../shared/errors'
import { offerOf, ProviderId, type ModelId } from '../../shared/models'
import { EditRequest } from '../../shared/relay-api'
import { HOSTS } from '../../relay/providers/hosts'
import { makePng } from '../fakes/make-image'

/** What undici throws when a socket dies: a TypeError whose cause carries the system error. */
function socketHangUp(): TypeError {
  return new TypeError('fetch failed', {
    cause: Object.assign(new Error('other side closed: socket hang up 127.0.0.1:9'), { code: 'ECONNRESET' })
  })
}

const MODEL: Record<ProviderId, ModelId> = {
  runware: 'kontext-max',
  runflow: 'kontext-pro',
  bfl: 'kontext-max',
  fal: 'kontext-max',
  replicate: 'kontext-max',
  comfyui: 'kontext-dev'
}

/**
 * A network failure's own words reach the operator's log: every adapter keeps the fetch error as
 * the AppError's cause, so `describeError` (what the job.failed line holds) names the socket error,
 * not just "network error".
 */
describe.each(ProviderId.options)('%s, when the connection drops', (id) => {
  it('fails with the network error text in its cause', async () => {
    const host = { enabled: true, key: 'key-0123456789abcdef', url: 'http://127.0.0.1:9', settings: {}, offerOverrides: {} }
    const provider = HOSTS[id].createProvider(host, {
      fetch: () => Promise.reject(socketHangUp()),
      sleepAsync: () => Promise.resolve(),
      randomUUID: () => crypto.randomUUID(),
      now: () => Date.now(),
      log: () => undefined
    })
    const model = MODEL[id]
    const error = await provider
      .editAsync({
        request: EditRequest.parse({ prompt: 'Make the sky purple', model }),
        model,
        offer: offerOf(id, model)!,
        size: KONTEXT_SIZES[4],
        aspectRatio: '1:1',
        references: [{ bytes: makePng(64, 64), contentType: 'image/png', width: 64, height: 64 }],
        signal: AbortSignal.timeout(5000),
        onProgress: () => undefined
      })
      .catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(AppError)
    expect(describeError(error)).toContain('socket hang up 127.0.0.1:9')
  })
})
