/**
 * One JSON object a line. Secrets (provider keys, access tokens) are masked wherever they appear,
 * as a last line of defence: nothing is meant to log them in the first place.
 */
export function createJsonLogger(write: (line: string) => void, secrets: readonly string[], now: () => number = Date.now) {
  const masks = secrets.filter((secret) => secret.length >= 8)
  return function log(event: string, fields: Record<string, unknown>): void {
    let line = JSON.stringify({ time: new Date(now()).toISOString(), event, ...fields })
    for (const secret of masks) line = line.split(secret).join('[redacted]')
    write(line)
  }
}
