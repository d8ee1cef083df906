import { describe, expect, it } from 'vitest'
import { assertNever } from '../../shared/assert-never'

describe('a case a switch forgot', () => {
  it('throws, naming the value', () => {
    expect(() => assertNever({ type: 'unknown' } as never)).toThrow('Unexpected value: {"type":"unknown"}')
  })
})
