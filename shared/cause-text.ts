import { errorText } from './error-text'

/** Causes followed for a log line; a chain can be long, or loop back on itself. */
const MAX_CAUSES = 4

/** The text of an error's causes, outermost first, joined by ": "; undefined when it has none. */
export function causeText(error: unknown): string | undefined {
  const parts: string[] = []
  let cause = error instanceof Error ? error.cause : undefined
  for (let depth = 0; depth < MAX_CAUSES && cause !== undefined; depth += 1) {
    parts.push(errorText(cause))
    cause = cause instanceof Error ? cause.cause : undefined
  }
  return parts.length === 0 ? undefined : parts.join(': ')
}
