import { describe, expect, it } from 'vitest'
import { fromMicros } from '../../relay/usage/from-micros'
import { toMicros } from '../../relay/usage/to-micros'

describe('toMicros and fromMicros', () => {
  it('turns dollars into whole millionths, rounding away float noise', () => {
    expect(toMicros(0.08)).toBe(80_000)
    expect(toMicros(0.1 + 0.2)).toBe(300_000)
    expect(toMicros(1)).toBe(1_000_000)
    expect(toMicros(0.0000004)).toBe(0)
    expect(toMicros(0.0000005)).toBe(1)
    expect(toMicros(0)).toBe(0)
  })

  it('turns millionths back into dollars', () => {
    expect(fromMicros(80_000)).toBe(0.08)
    expect(fromMicros(1_000_000)).toBe(1)
    expect(fromMicros(1)).toBe(0.000001)
    expect(fromMicros(0)).toBe(0)
  })

  it('sums 0.08 three times to 0.24 exactly', () => {
    expect(fromMicros(toMicros(0.08) * 3)).toBe(0.24)
  })
})
