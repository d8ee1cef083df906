import type { AppError, RelayErrorCode } from '../../../shared/errors'
import { codeForStatus, hostError } from '../shared/host-error'
import { REPLICATE_NAME } from './replicate-context'

/** Replicate's moderation code in a failed prediction's `error` (docs/hosts.md, "Replicate"). */
const MODERATION_MARKER = /\bE005\b/

export function isModeration(text: string): boolean {
  return MODERATION_MARKER.test(text)
}

/** Host codes first (moderation), then the statuses every host shares. */
export function replicateErrorFor(status: number, detail: string): AppError {
  const code: RelayErrorCode = isModeration(detail) ? 'moderated' : codeForStatus(status)
  return hostError(REPLICATE_NAME, status, code, detail)
}
