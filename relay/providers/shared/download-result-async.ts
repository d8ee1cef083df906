import { AppError } from '../../../shared/errors'
import { createOutboundFetch, isOutboundFetch } from '../../net/outbound-fetch'
import { hostFetchAsync } from './host-fetch-async'
import { readCappedAsync } from './read-capped-async'

export interface DownloadOptions {
  /** The host's outbound fetch (relay/net/outbound-fetch.ts); a plain fetch is wrapped in one. */
  fetch: typeof fetch
  signal: AbortSignal
  /** The host's configured base URL: plain http is accepted only on its origin (a LAN ComfyUI, a test fake). */
  hostBaseUrl: string
  /** Headers some hosts want on their own URLs (never sent to another origin). */
  headers?: Record<string, string>
  maxBytes?: number
}

export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024

/**
 * Downloads a result the host just returned. Host URLs expire (BFL: 10 minutes) and must never
 * reach the client, so the relay fetches them at once, under the outbound rules (docs/outbound.md):
 * https to a public address, or anything on the host's own configured origin, every redirect hop
 * checked again; and never more than `maxBytes` (checked on content-length and on the bytes read).
 */
export async function downloadResultAsync(url: string, options: DownloadOptions): Promise<Uint8Array> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (error) {
    throw new AppError('provider_error', undefined, { detail: `result URL is not a URL: ${url.slice(0, 80)}`, cause: error })
  }
  const hostOrigin = new URL(options.hostBaseUrl).origin
  // A result URL comes from the host's answer, not from the adapter's own routing: plain http only on the exact origin.
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && parsed.origin === hostOrigin)) {
    throw new AppError('provider_error', undefined, { detail: `refused to download a result from ${parsed.origin}` })
  }
  // The adapters' deps.fetch is already the host's outbound fetch; a plain one is wrapped, so no caller can skip the rules.
  const fetchImpl = isOutboundFetch(options.fetch)
    ? options.fetch
    : createOutboundFetch({ hostBaseUrl: options.hostBaseUrl, fetch: options.fetch })
  const sameOrigin = parsed.origin === hostOrigin
  const answer = await hostFetchAsync(
    fetchImpl,
    parsed.href,
    { headers: sameOrigin ? (options.headers ?? {}) : {}, redirect: 'follow' },
    options.signal
  )
  if (answer.kind === 'network')
    throw new AppError('provider_unavailable', undefined, { detail: `result download: ${answer.detail}`, cause: answer.error })
  const { response } = answer
  if (!response.ok) {
    throw new AppError('provider_error', undefined, {
      detail: `result download answered ${response.status}${response.status === 403 || response.status === 404 || response.status === 410 ? ' (expired?)' : ''}`
    })
  }
  const max = options.maxBytes ?? DEFAULT_MAX_BYTES
  const read = await readCappedAsync(
    response,
    max,
    options.signal,
    (declared) =>
      new AppError('provider_error', undefined, {
        detail: declared === undefined ? `result over the ${max} byte cap` : `result of ${declared} bytes is over the ${max} byte cap`
      })
  )
  if (!read.ok) throw new AppError('provider_unavailable', undefined, { detail: 'result download cut off', cause: read.error })
  return concatChunks(read.chunks, read.total)
}

function concatChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}
