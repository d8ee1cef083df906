import { describe, expect, it } from 'vitest'
import { parseJson } from '../../../relay/providers/shared/parse-json'

describe('parseJson', () => {
  it('parses JSON', () => {
    expect(parseJson('{"a":[1,null]}')).toEqual({ a: [1, null] })
    expect(parseJson('null')).toBeNull()
  })

  it('is undefined for text that is not JSON', () => {
    expect(parseJson('<html>Bad gateway</html>')).toBeUndefined()
    expect(parseJson('')).toBeUndefined()
  })
})
