export function formatUsd(usd: number): string {
  return `$${usd.toFixed(usd < 0.1 ? 3 : 2).replace(/0$/, '')}`
}
