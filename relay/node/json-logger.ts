import { errorChainText } from '../../shared/error-chain-text'

/**
 * An Error becomes its name, message and causes (JSON.stringify would write `{}`), as text inside
 * the line, so the masking below reaches whatever a cause quotes.
 */
function errorsAsText(_key: string, value: unknown): unknown {
  return value instanceof Error ? errorChainText(value) : value
}

/**
 * One JSON object a line. Secrets (provider keys, access tokens) are masked wherever they appear,
 * causes of errors included, as a last line of defence: nothing is meant to log them in the first
 * place.
 */
export function createJsonLogger(write: (line: string) => void, secrets: readonly string[], now: () => number = Date.now) {
  const masks = secrets.filter((secret) => secret.length >= 8)
  return function log(event: string, fields: Record<string, unknown>): void {
    let line = JSON.stringify({ time: new Date(now()).toISOString(), event, ...fields }, errorsAsText)
    for (const secret of masks) line = line.split(secret).join('[redacted]')
    write(line)
  }
}
