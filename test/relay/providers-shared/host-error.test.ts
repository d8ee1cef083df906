import { describe, expect, it } from 'vitest'
import { ERROR_MESSAGES } from '../../../shared/errors'
import { codeForStatus, describeHostBody, hostError } from '../../../relay/providers/shared/host-error'

describe('codeForStatus', () => {
  it.each([
    [401, 'provider_not_configured'],
    [403, 'provider_not_configured'],
    [402, 'insufficient_credit'],
    [429, 'rate_limited'],
    [408, 'timeout'],
    [504, 'timeout'],
    [500, 'provider_unavailable'],
    [502, 'provider_unavailable'],
    [503, 'provider_unavailable'],
    [599, 'provider_unavailable'],
    [499, 'provider_error'],
    [400, 'provider_error'],
    [404, 'provider_error'],
    [409, 'provider_error'],
    [422, 'provider_error'],
    [302, 'provider_error'],
    [200, 'provider_error']
  ] as const)('maps %i to %s', (status, code) => {
    expect(codeForStatus(status)).toBe(code)
  })
})

describe('describeHostBody', () => {
  it('takes the first known key in order, as JSON', () => {
    expect(describeHostBody({ title: 't', code: 'c', failure_message: 'f', message: 'm', error: 'e', detail: 'd' }, 'x')).toBe(
      'detail: "d"'
    )
    expect(describeHostBody({ title: 't', code: 'c', failure_message: 'f', message: 'm', error: { e: 1 } }, 'x')).toBe('error: {"e":1}')
    expect(describeHostBody({ title: 't', code: 'c', failure_message: 'f', message: 'm' }, 'x')).toBe('message: "m"')
    expect(describeHostBody({ title: 't', code: 'c', failure_message: 'f' }, 'x')).toBe('failure_message: "f"')
    expect(describeHostBody({ title: 't', code: 42 }, 'x')).toBe('code: 42')
    expect(describeHostBody({ title: 't' }, 'x')).toBe('title: "t"')
  })

  it('skips keys that are null or undefined but keeps falsy values', () => {
    expect(describeHostBody({ detail: null, error: undefined, message: '' }, 'x')).toBe('message: ""')
    expect(describeHostBody({ detail: false }, 'x')).toBe('detail: false')
  })

  it('falls back to the text when the body has no known key, is not an object, or is null', () => {
    expect(describeHostBody({ other: 'o' }, 'raw text')).toBe('raw text')
    expect(describeHostBody('detail', 'raw text')).toBe('raw text')
    expect(describeHostBody(null, 'raw text')).toBe('raw text')
    expect(describeHostBody(undefined, 'raw text')).toBe('raw text')
  })

  it('keeps at most 300 characters of the value or the text', () => {
    const long = 'a'.repeat(400)
    expect(describeHostBody({ detail: long }, 'x')).toBe(`detail: "${'a'.repeat(299)}`)
    expect(describeHostBody(null, long)).toBe('a'.repeat(300))
  })
})

describe('hostError', () => {
  it('says which host refused the key on provider_not_configured', () => {
    const error = hostError('fal', 401, 'provider_not_configured', 'bad key')
    expect(error.code).toBe('provider_not_configured')
    expect(error.message).toBe('fal refused the relay’s API key. Ask whoever runs the relay to check it.')
    expect(error.detail).toBe('fal 401: bad key')
  })

  it("uses the code's own message for every other code", () => {
    const error = hostError('bfl', 504, 'timeout', 'gateway')
    expect(error.code).toBe('timeout')
    expect(error.message).toBe(ERROR_MESSAGES.timeout)
    expect(error.detail).toBe('bfl 504: gateway')
  })
})
