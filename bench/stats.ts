/** Order statistics for latency samples (linear interpolation between the closest ranks). */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const position = (sorted.length - 1) * q
  const low = Math.floor(position)
  const high = Math.ceil(position)
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low)
}

export const median = (samples: readonly number[]): number => quantile(samples, 0.5)
export const mean = (samples: readonly number[]): number => samples.reduce((sum, value) => sum + value, 0) / samples.length

/** Milliseconds with one decimal below 100, whole above. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '–'
  return Math.abs(value) < 100 ? value.toFixed(1) : value.toFixed(0)
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(2)} MB`
}

export function megapixels(pixels: number): string {
  return `${(pixels / 1_000_000).toFixed(2)} MP`
}

/** Now, in epoch milliseconds with sub-millisecond resolution (comparable with a browser's timeOrigin + now()). */
export const epochMs = (): number => performance.timeOrigin + performance.now()
