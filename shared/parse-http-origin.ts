/**
 * Reads `http(s)://host[:port]` (a trailing slash allowed) and returns it normalised: scheme and
 * host in lower case, the scheme's default port dropped, no trailing slash. Anything else (a path,
 * a query, user info, a bad port) is a string saying what is wrong.
 *
 * Written without `URL` on purpose: Figma's main thread is "a minimal JavaScript environment and
 * does not expose browser APIs" (developers.figma.com/docs/plugins/how-plugins-run), so `URL`,
 * and zod's `.url()` which calls it, do not exist there; the settings schema runs on both sides.
 */
export type ParsedOrigin =
  { ok: true; origin: string; scheme: 'http' | 'https'; host: string; port: number } | { ok: false; problem: OriginProblem }

export type OriginProblem = 'not_a_url' | 'scheme' | 'path' | 'port'

const SHAPE = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/i
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/
const IPV6 = /^\[[0-9a-f:.]{2,45}\]$/
const DEFAULT_PORT = { http: 80, https: 443 } as const

export function parseHttpOrigin(input: string): ParsedOrigin {
  const shape = SHAPE.exec(input.trim())
  if (shape === null) return { ok: false, problem: 'not_a_url' }
  const scheme = shape[1]!.toLowerCase()
  if (scheme !== 'http' && scheme !== 'https') return { ok: false, problem: 'scheme' }
  if (!/^\/*$/.test(shape[3]!)) return { ok: false, problem: 'path' }
  const authority = shape[2]!.toLowerCase()
  const hostAndPort = /^(\[[^\]]*\]|[^:]*)(?::([^:]*))?$/.exec(authority)
  if (hostAndPort === null || authority.includes('@')) return { ok: false, problem: 'not_a_url' }
  const host = hostAndPort[1]!
  if (!(HOSTNAME.test(host) || IPV6.test(host))) return { ok: false, problem: 'not_a_url' }
  // "host:" is the default port, as the URL standard reads it.
  const portText = hostAndPort[2] ?? ''
  if (portText !== '' && !/^\d{1,5}$/.test(portText)) return { ok: false, problem: 'port' }
  const port = portText === '' ? DEFAULT_PORT[scheme] : Number(portText)
  if (port < 1 || port > 65535) return { ok: false, problem: 'port' }
  const origin = `${scheme}://${host}${port === DEFAULT_PORT[scheme] ? '' : `:${port}`}`
  return { ok: true, origin, scheme, host, port }
}
