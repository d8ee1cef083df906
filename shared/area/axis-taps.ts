/** Fixed point: a destination pixel's weights add up to exactly this, so a flat image stays flat. */
export const TAP_ONE = 4096

/** Which source pixels make each destination pixel along one axis, and how much each counts. */
export interface AxisTaps {
  readonly first: Int32Array
  readonly count: Int32Array
  /** `stride` weights a destination pixel, of which the first `count` are used; each pixel's add up to TAP_ONE. */
  readonly weights: Int32Array
  readonly stride: number
}

/**
 * Bilinear (pixel centres aligned) when enlarging or shrinking by up to 2×; the average of the
 * covered source span when shrinking more, where bilinear would skip pixels and alias thin lines.
 */
export function axisTaps(source: number, target: number): AxisTaps {
  const ratio = source / target
  const box = ratio > 2
  const stride = box ? Math.ceil(ratio) + 1 : 2
  const first = new Int32Array(target)
  const count = new Int32Array(target)
  const weights = new Int32Array(target * stride)
  const exact = new Float64Array(stride)
  // Stryker disable next-line EqualityOperator: a step past the end only writes past the typed arrays' ends, which drops the writes.
  for (let d = 0; d < target; d += 1) {
    let start: number
    let n: number
    if (box) {
      const from = d * ratio
      const to = from + ratio
      start = Math.floor(from)
      n = Math.min(source, Math.ceil(to)) - start
      // Stryker disable next-line EqualityOperator: exact[n] is never read (only the first n weights are).
      for (let k = 0; k < n; k += 1) exact[k] = (Math.min(to, start + k + 1) - Math.max(from, start + k)) / ratio
    } else {
      // Always two taps inside the source (the last pixel is 0 × its left neighbour + 1 × itself), so
      // the resampling loops need no bounds check; a one-pixel source has the one tap.
      const centre = Math.min(Math.max((d + 0.5) * ratio - 0.5, 0), source - 1)
      start = Math.max(0, Math.min(Math.floor(centre), source - 2))
      n = Math.min(2, source)
      exact[0] = 1 - (centre - start)
      exact[1] = centre - start
    }
    first[d] = start
    count[d] = n
    // Rounded weights can miss TAP_ONE by a unit or two: the largest takes the difference.
    let total = 0
    let largest = 0
    for (let k = 0; k < n; k += 1) {
      weights[d * stride + k] = Math.round(exact[k]! * TAP_ONE)
      total += weights[d * stride + k]!
      if (exact[k]! > exact[largest]!) largest = k
    }
    weights[d * stride + largest]! += TAP_ONE - total
  }
  return { first, count, weights, stride }
}
