/** The next UTC midnight after `ms`, when that day's budgets start again. */
export function nextUtcMidnight(ms: number): number {
  const date = new Date(ms)
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1)
}
