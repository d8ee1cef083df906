import { causeText } from './cause-text'
import { errorText } from './error-text'
import { AppError } from './errors'

/**
 * What a log line says of an error beyond its code: an AppError's `detail` (or another error's
 * name and message), then the text of its causes; undefined when there is nothing to say. For
 * logs only, and only through a logger that masks secrets: a host's message may quote anything it
 * was sent.
 */
export function describeError(error: unknown): string | undefined {
  const own = error instanceof AppError ? error.detail : error === undefined ? undefined : errorText(error)
  const parts = [own, causeText(error)].filter((part): part is string => part !== undefined)
  return parts.length === 0 ? undefined : parts.join(': ')
}
