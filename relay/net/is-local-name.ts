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
