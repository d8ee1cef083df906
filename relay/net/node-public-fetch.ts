import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import type { LookupFunction } from 'node:net'
import { Agent, fetch as undiciFetch } from 'undici'
import { isIpLiteral } from './is-ip-literal'
import { isPublicAddress } from './is-public-address'
import { OutboundRefusedError } from './outbound-refused-error'

/** Name resolution, injectable so tests map names to addresses without touching DNS. */
export type ResolveAsync = (hostname: string) => Promise<LookupAddress[]>

const systemResolveAsync: ResolveAsync = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true }, (error, addresses) => (error === null ? resolve(addresses) : reject(error)))
  )

/**
 * The address check where it cannot be fooled: inside the connection, on the addresses the socket
 * will use. A name checked first and connected later can resolve differently the second time
 * (DNS rebinding); here the answer checked is the answer connected to. Every address must be
 * public: a name that also resolves to a private one is refused rather than filtered.
 */
export function checkedLookup(resolveAsync: ResolveAsync): LookupFunction {
  return (hostname, options, callback) => {
    resolveAsync(hostname).then(
      (all) => {
        const family = options.family === 4 || options.family === 6 ? options.family : undefined
        const addresses = family === undefined ? all : all.filter((entry) => entry.family === family)
        const first = addresses[0]
        if (first === undefined) {
          callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0)
          return
        }
        const refused = addresses.find((entry) => !isPublicAddress(entry.address))
        if (refused !== undefined) {
          callback(new OutboundRefusedError(`${hostname} resolves to ${refused.address}, not a public address`), '', 0)
          return
        }
        // Node asks for every address when it races IPv4 and IPv6 (autoSelectFamily, on by default in Node 20).
        if (options.all === true) callback(null, addresses)
        else callback(null, first.address, first.family)
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), '', 0)
    )
  }
}

export interface NodePublicFetch {
  fetch: typeof fetch
  closeAsync(): Promise<void>
}

/**
 * The fetch the Node relay uses for every origin but a host's configured one (see
 * relay/net/outbound-fetch.ts): undici's own fetch on an Agent whose connector resolves names
 * through `checkedLookup`. Node's `net.connect` skips the lookup for IP literals, so those are
 * checked here by their text before connecting. undici is the engine of Node 20's fetch; the npm
 * package is used because Node's built-in fetch takes no public way to set a connector.
 */
export function createNodePublicFetch(options: { resolveAsync?: ResolveAsync } = {}): NodePublicFetch {
  const agent = new Agent({ connect: { lookup: checkedLookup(options.resolveAsync ?? systemResolveAsync) } })
  const publicFetch = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
    if (isIpLiteral(url.hostname) && !isPublicAddress(url.hostname)) {
      throw new TypeError('fetch failed', { cause: new OutboundRefusedError(`${url.hostname} is not a public address`) })
    }
    // undici's npm types describe the same WHATWG objects as Node's globals under other names.
    // Under Node's types alone (relay/) the casts change nothing, but test/ and bench/ check this
    // file with the DOM lib's fetch types, which differ.
    /* eslint-disable @typescript-eslint/no-unnecessary-type-assertion */
    const response = await undiciFetch(url.href, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: agent })
    return response as unknown as Response
  }
  return { fetch: publicFetch as typeof fetch, closeAsync: () => agent.close() }
  /* eslint-enable @typescript-eslint/no-unnecessary-type-assertion */
}
