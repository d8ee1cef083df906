import type { Range } from '../../../shared/models'

/** A typed number within `range`: null when blank (the host's default), undefined when not acceptable. */
export function numberOrNull(value: string, range: Range, integer: boolean): number | null | undefined {
  const trimmed = value.trim()
  if (trimmed === '') return null
  const number = Number(trimmed)
  if (!Number.isFinite(number) || (integer && !Number.isInteger(number)) || number < range.min || number > range.max) return undefined
  return number
}
