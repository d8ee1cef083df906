import { AppError } from '../../shared/errors'
import { answerCaps } from './answer-caps'
import { refusalOf, type Hop } from './refusal-of'
import { OUTBOUND_REFUSED_CODE } from './outbound-refused-error'

export interface OutboundFetchOptions {
  /** The host's configured base URL: its origin is trusted as the operator set it. */
  hostBaseUrl: string
  /** The platform fetch, used for the host's own origin. */
  fetch: typeof fetch
  /**
   * The fetch for every other origin: one that refuses non-public addresses after name
   * resolution (Node: createNodePublicFetch). Default `fetch`, for Workers, whose fetch cannot
   * reach private addresses (docs/outbound.md).
   */
  publicFetch?: typeof fetch | undefined
  /** readTextAsync's cap for this host's answers (default: its own). */
  maxAnswerBytes?: number | undefined
}

/** "A few" hops: hosts' CDNs redirect once or twice; the Fetch standard's 20 is for browsers. */
export const MAX_REDIRECTS = 5

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])
/** Only these headers follow a redirect to another origin: keys and tokens stay with their host. */
const CROSS_ORIGIN_HEADERS = new Set(['accept', 'accept-encoding', 'user-agent'])

const guarded = new WeakSet<typeof fetch>()

export function isOutboundFetch(fetchImpl: typeof fetch): boolean {
  return guarded.has(fetchImpl)
}

function refused(detail: string): AppError {
  // provider_error is final everywhere (codeForStatus, submitWithRetriesAsync): a refused URL is
  // never taken for "the host was not reached" and never makes an adapter submit again.
  return new AppError('provider_error', undefined, { detail: `outbound request refused: ${detail}` })
}

function refusalInCause(error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth += 1) {
    if ('code' in current && current.code === OUTBOUND_REFUSED_CODE) return current instanceof Error ? current.message : 'address refused'
    current = 'cause' in current ? current.cause : undefined
  }
  return undefined
}

function urlOf(input: Parameters<typeof fetch>[0]): string {
  if (typeof input === 'string') return input
  if (input instanceof URL) return input.href
  // Adapters pass URLs; a Request would carry a method and body this guard does not look at.
  throw new AppError('internal', undefined, { detail: 'the outbound fetch takes a URL, not a Request' })
}

/**
 * The one way the relay reaches a host (docs/outbound.md). Every hop is checked by `refusalOf`
 * (redirect hops more strictly than the URL the adapter chose) before it is fetched, always with `redirect: 'manual'`. GET and HEAD asked with the default
 * `redirect: 'follow'` follow up to MAX_REDIRECTS hops, each checked again, keys dropped when the
 * origin changes; every other method (submits, uploads) and a caller's own `manual` get the 3xx
 * back, which adapters treat as a final error (codeForStatus: provider_error), so a prompt and its
 * reference are never re-sent to where a redirect points.
 */
export function createOutboundFetch(options: OutboundFetchOptions): typeof fetch {
  const host = new URL(options.hostBaseUrl)
  const publicFetch = options.publicFetch ?? options.fetch

  async function fetchOnceAsync(url: URL, init: RequestInit, hop: Hop): Promise<Response> {
    const reason = refusalOf(url, options.hostBaseUrl, hop)
    if (reason !== undefined) throw refused(reason)
    // The configured host's own name is the operator's choice; everything else connects only to public addresses.
    const fetchImpl = url.hostname === host.hostname ? options.fetch : publicFetch
    try {
      return await fetchImpl(url.href, { ...init, redirect: 'manual' })
    } catch (error) {
      const atConnect = init.signal?.aborted === true ? undefined : refusalInCause(error)
      if (atConnect !== undefined) throw refused(atConnect)
      throw error
    }
  }

  const outboundFetch: typeof fetch = async (input, init = {}) => {
    let url = new URL(urlOf(input))
    const method = (init.method ?? 'GET').toUpperCase()
    const follows = (method === 'GET' || method === 'HEAD') && (init.redirect ?? 'follow') === 'follow'
    let headers = new Headers(init.headers)
    for (let hop = 0; ; hop += 1) {
      const response = await fetchOnceAsync(url, { ...init, headers }, hop === 0 ? 'first' : 'redirect')
      if (options.maxAnswerBytes !== undefined) answerCaps.set(response, options.maxAnswerBytes)
      const location = response.headers.get('location')
      if (!follows || !REDIRECT_STATUSES.has(response.status) || location === null) return response
      await response.body?.cancel().catch(() => undefined)
      if (hop >= MAX_REDIRECTS) throw refused(`more than ${MAX_REDIRECTS} redirects from ${url.origin}`)
      let next: URL
      try {
        next = new URL(location, url)
      } catch {
        throw refused(`redirect to an invalid URL from ${url.origin}`)
      }
      if (next.origin !== url.origin) headers = new Headers([...headers].filter(([name]) => CROSS_ORIGIN_HEADERS.has(name)))
      url = next
    }
  }
  guarded.add(outboundFetch)
  return outboundFetch
}
