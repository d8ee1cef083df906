/** The UTC day of a time, as YYYY-MM-DD: budgets and the ledger count in UTC days. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}
