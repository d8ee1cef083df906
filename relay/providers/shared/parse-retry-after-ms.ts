/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), capped; undefined when absent or unreadable. */
export function parseRetryAfterMs(header: string | null, now: number, capMs: number): number | undefined {
  if (header === null || header.trim() === '') return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, capMs)
  const date = Date.parse(header)
  if (Number.isNaN(date)) return undefined
  return Math.min(Math.max(0, date - now), capMs)
}
