import ipaddr from 'ipaddr.js'

/** A URL hostname that is an IP literal (IPv6 in brackets, as `URL` writes it). */
export function isIpLiteral(hostname: string): boolean {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  return ipaddr.isValid(bare) && (bare.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(bare))
}
