import { isIpLiteral } from './is-ip-literal'
import { isLocalName } from './is-local-name'
import { isPublicAddress } from './is-public-address'

/** Where a URL stands: the adapter's own choice (first hop) or a redirect the answer asked for. */
export type Hop = 'first' | 'redirect'

/**
 * The rule for one URL the relay is about to fetch for a host (docs/outbound.md), or why not:
 * - anything on the origin the operator configured for the host (a LAN ComfyUI, a test fake);
 * - a URL the adapter itself chose (never a redirect) on the configured host's own name and
 *   scheme, on another port: the host's own machine, which the host reaches anyway (BFL's adapter
 *   polls a regional cluster there, relay/providers/bfl/bfl-provider.ts `mayReceiveBflKey`);
 * - otherwise only `https:` to a name that is not local by convention, or to a public IP literal.
 * Names are checked again on the address actually connected to, where the platform allows it
 * (Node: relay/net/node-public-fetch.ts). This is the part that needs no name resolution.
 */
export function refusalOf(url: URL, hostBaseUrl: string, hop: Hop = 'redirect'): string | undefined {
  const host = new URL(hostBaseUrl)
  if (url.origin === host.origin) return undefined
  if (hop === 'first' && url.protocol === host.protocol && url.hostname === host.hostname && url.username === '' && url.password === '')
    return undefined
  if (url.protocol !== 'https:') return `${url.protocol} to ${url.host} (only https outside the host's configured origin ${host.origin})`
  if (url.username !== '' || url.password !== '') return `credentials in a URL to ${url.host}`
  if (isLocalName(url.hostname)) return `${url.hostname} is a local name`
  if (isIpLiteral(url.hostname) && !isPublicAddress(url.hostname)) return `${url.hostname} is not a public address`
  return undefined
}
