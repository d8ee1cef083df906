/** Money is summed in millionths of a dollar, so 0.08 × 3 is 0.24 exactly. */
export function toMicros(usd: number): number {
  return Math.round(usd * 1_000_000)
}
