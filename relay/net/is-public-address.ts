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
