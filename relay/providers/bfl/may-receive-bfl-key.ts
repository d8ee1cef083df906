/**
 * Where BFL's key goes (the one security rule this adapter adds): the submit goes to the configured
 * origin; the key is sent to the `polling_url` BFL returns only when that URL is
 *  - on the configured origin, or
 *  - https on the configured host's registrable domain (`api.us1.bfl.ai` for `api.bfl.ai`), or
 *  - on the configured hostname itself over the configured scheme, any port (a LAN proxy, a test
 *    fake's second "cluster" on 127.0.0.1): the key already travels to that machine.
 * Any other polling URL is refused (provider_error) without a request, so a tampered or
 * misrouted answer cannot collect the key. Redirects are never followed with the key. The signed
 * `result.sample` is fetched without the key, under `downloadResultAsync`'s rule (https, or http
 * only on the configured origin).
 */

/** Second-level labels under which the registrable domain has three labels (no public suffix list here). */
const GENERIC_SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'gov', 'edu', 'ac'])

function registrableDomain(hostname: string): string | undefined {
  if (/^[\d.]+$/.test(hostname) || hostname.startsWith('[')) return undefined
  const labels = hostname.split('.')
  if (labels.length < 2) return undefined
  const take = labels.length >= 3 && labels.at(-1)!.length === 2 && GENERIC_SECOND_LEVEL.has(labels.at(-2)!) ? 3 : 2
  return labels.slice(-take).join('.')
}

/** Whether BFL's key may be sent to `url` (see the header comment). */
export function mayReceiveBflKey(url: URL, baseUrl: string): boolean {
  const base = new URL(baseUrl)
  if (url.username !== '' || url.password !== '') return false
  if (url.origin === base.origin) return true
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false
  if (url.hostname === base.hostname && (url.protocol === base.protocol || url.protocol === 'https:')) return true
  const domain = registrableDomain(base.hostname)
  return url.protocol === 'https:' && domain !== undefined && (url.hostname === domain || url.hostname.endsWith(`.${domain}`))
}
