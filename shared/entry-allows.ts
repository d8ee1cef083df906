import { parseHttpOrigin } from './parse-http-origin'

const DEFAULT_PORT: Record<string, number> = { http: 80, https: 443 }
const ENTRY = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\*|(?:\*\.)?[^/:*]+)(?::(\d{1,5}|\*))?(\/.*)?$/i

/**
 * Whether one networkAccess entry lets the panel reach the relay at `origin`. Figma applies the
 * lists as the UI's Content-Security-Policy (docs: plugins/updates/2023/05/10/version-1-update-66),
 * so this reads an entry as a CSP source: `"*"` is everything, `"none"` nothing, `*.host` any
 * subdomain, no port the scheme's default, an `http://` entry also https. An entry without a
 * scheme is taken as https, the scheme of Figma's own page. The relay lives at the root of its
 * origin (/health, /v1/…), so an entry with a path matches only when the path is `/`.
 */
export function entryAllows(entry: string, origin: string): boolean {
  if (entry === '*') return true
  const target = parseHttpOrigin(origin)
  const parts = ENTRY.exec(entry.trim())
  if (!target.ok || parts === null) return false
  const scheme = (parts[1] ?? 'https').toLowerCase()
  if (!(scheme === target.scheme || (scheme === 'http' && target.scheme === 'https'))) return false
  const host = parts[2]!.toLowerCase()
  const hostMatches = host === '*' || (host.startsWith('*.') ? target.host.endsWith(host.slice(1)) : host === target.host)
  const port = parts[3]
  const portMatches = port === '*' || (port === undefined ? target.port === DEFAULT_PORT[target.scheme] : Number(port) === target.port)
  const path = parts[4]
  return hostMatches && portMatches && (path === undefined || path === '/')
}
