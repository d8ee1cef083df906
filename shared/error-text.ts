import { AppError } from './errors'

/** One error's own text for a log line: an AppError's detail (else its code and message), another error's name and message. */
export function errorText(error: unknown): string {
  if (error instanceof AppError) return error.detail ?? `${error.code}: ${error.message}`
  if (error instanceof Error) return `${error.name}: ${error.message}`
  return String(error)
}
