import ipaddr from 'ipaddr.js'

/**
 * Which addresses the relay may connect to on a host's behalf (docs/outbound.md). Only global
 * unicast counts as public: ipaddr.js names every special range (RFC 6890 and friends), so
 * loopback, private (10/8, 172.16/12, 192.168/16), carrier-grade NAT (100.64/10), link-local
 * (169.254/16 with the cloud metadata address 169.254.169.254, fe80::/10), unique-local
 * (fc00::/7), unspecified, multicast, broadcast, reserved, and the IPv6 forms that embed an IPv4
 * address (IPv4-mapped ::ffff:0:0/96 is unwrapped by `process`; NAT64 64:ff9b::/96, 6to4 and
 * Teredo are refused outright) all fail.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address
  if (!ipaddr.isValid(bare)) return false
  return ipaddr.process(bare).range() === 'unicast'
}

/** A URL hostname that is an IP literal (IPv6 in brackets, as `URL` writes it). */
export function isIpLiteral(hostname: string): boolean {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  return ipaddr.isValid(bare) && (bare.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(bare))
}

/**
 * Names that resolve to this machine or the local network by convention, refused before any
 * lookup: `localhost` and `*.localhost` (RFC 6761 §6.3), mDNS `*.local` (RFC 6762), `*.internal`
 * (reserved for private use, ICANN 2024; GCP's metadata.google.internal), `*.home.arpa` (RFC 8375),
 * and `localdomain`.
 */
const LOCAL_NAME_SUFFIXES = ['localhost', 'local', 'internal', 'home.arpa', 'localdomain'] as const

export function isLocalName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '')
  return LOCAL_NAME_SUFFIXES.some((suffix) => name === suffix || name.endsWith(`.${suffix}`))
}

/** Thrown where a connection to a refused address is stopped (the Node connector's lookup). */
export const OUTBOUND_REFUSED_CODE = 'EKONTEXT_OUTBOUND_REFUSED'

export class OutboundRefusedError extends Error {
  readonly code = OUTBOUND_REFUSED_CODE
  constructor(message: string) {
    super(message)
    this.name = 'OutboundRefusedError'
  }
}
