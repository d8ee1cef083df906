import { describe, expect, it } from 'vitest'
import { AppError } from '../../shared/errors'
import { causeText } from '../../shared/cause-text'
import { describeError } from '../../shared/describe-error'
import { errorChainText } from '../../shared/error-chain-text'
import { toRelayErrorInfo } from '../../shared/to-relay-error-info'

describe('AppError with a cause', () => {
  it('keeps the wrapped error as the standard cause, out of what a client is answered', () => {
    const cause = new Error('ECONNRESET from the host')
    const error = new AppError('provider_unavailable', undefined, { detail: 'submit', cause })
    expect(error.cause).toBe(cause)
    expect(error.detail).toBe('submit')
    expect(toRelayErrorInfo(error)).toEqual({ code: 'provider_unavailable', message: error.message })
    expect(JSON.stringify(toRelayErrorInfo(error))).not.toContain('ECONNRESET')
    // Not enumerable, as for any Error: spreading or serialising the error leaves it out.
    expect(Object.keys(error)).not.toContain('cause')
  })

  it('has no cause when none is given', () => {
    expect('cause' in new AppError('timeout')).toBe(false)
    expect(new AppError('timeout').cause).toBeUndefined()
  })

  it('describes an error for a log line: its detail (or name and message), then each cause', () => {
    const inner = new AppError('invalid_image', 'Result 1 is not a PNG.')
    const outer = new AppError('provider_error', undefined, { detail: 'host result 1', cause: inner })
    expect(describeError(outer)).toBe('host result 1: invalid_image: Result 1 is not a PNG.')
    expect(describeError(new AppError('provider_error', undefined, { cause: new TypeError('bad json') }))).toBe('TypeError: bad json')
    expect(describeError(new AppError('timeout'))).toBeUndefined()
    expect(describeError(new Error('disk full'))).toBe('Error: disk full')
    expect(describeError('a string')).toBe('a string')
    expect(describeError(undefined)).toBeUndefined()
    expect(causeText(outer)).toBe('invalid_image: Result 1 is not a PNG.')
    expect(errorChainText(new Error('outer', { cause: 'inner' }))).toBe('Error: outer: inner')
  })

  it('follows at most four causes, so a chain that loops back on itself ends', () => {
    const looping = new Error('a')
    Object.defineProperty(looping, 'cause', { value: looping })
    expect(causeText(looping)).toBe('Error: a: Error: a: Error: a: Error: a')
  })
})
