import { describe, expect, it } from 'vitest'
import { AppError, ERROR_MESSAGES } from '../../shared/errors'
import { causeText } from '../../shared/cause-text'
import { describeError } from '../../shared/describe-error'
import { errorChainText } from '../../shared/error-chain-text'
import { errorText } from '../../shared/error-text'
import { toErrorInfo } from '../../shared/to-error-info'
import { toRelayErrorInfo } from '../../shared/to-relay-error-info'

/** error 1 caused by error 2 … caused by error `length`. */
function chain(length: number): Error {
  let error: Error | undefined
  for (let depth = length; depth >= 1; depth -= 1) error = new Error(`e${depth}`, error === undefined ? undefined : { cause: error })
  return error!
}

describe('an AppError', () => {
  it('carries its code, the code’s message, its detail and retry hint', () => {
    const error = new AppError('rate_limited', undefined, { detail: 'host said 429', retryAfterSeconds: 7 })
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('AppError')
    expect(error.code).toBe('rate_limited')
    expect(error.message).toBe(ERROR_MESSAGES.rate_limited)
    expect(error.detail).toBe('host said 429')
    expect(error.retryAfterSeconds).toBe(7)
    expect(error.toInfo()).toStrictEqual({ code: 'rate_limited', message: ERROR_MESSAGES.rate_limited })
  })

  it('keeps a message of its own', () => {
    expect(new AppError('export_failed', 'Select at most 4 layers.').toInfo()).toStrictEqual({
      code: 'export_failed',
      message: 'Select at most 4 layers.'
    })
  })
})

describe('one error’s text for a log line', () => {
  it('is an AppError’s detail, else its code and message', () => {
    expect(errorText(new AppError('timeout', 'slow', { detail: 'poll 12' }))).toBe('poll 12')
    expect(errorText(new AppError('timeout', 'slow'))).toBe('timeout: slow')
  })

  it('is another error’s name and message, and anything else as a string', () => {
    expect(errorText(new RangeError('too big'))).toBe('RangeError: too big')
    expect(errorText(42)).toBe('42')
    expect(errorText({ toString: () => 'an object' })).toBe('an object')
  })
})

describe('the causes of an error', () => {
  it('has none for an error without a cause, or for what is not an error', () => {
    expect(causeText(new Error('alone'))).toBeUndefined()
    expect(causeText({ cause: new Error('not an Error itself') })).toBeUndefined()
    expect(causeText('text')).toBeUndefined()
  })

  it('follows exactly four causes', () => {
    expect(causeText(chain(4))).toBe('Error: e2: Error: e3: Error: e4')
    expect(causeText(chain(5))).toBe('Error: e2: Error: e3: Error: e4: Error: e5')
    expect(causeText(chain(6))).toBe('Error: e2: Error: e3: Error: e4: Error: e5')
  })

  it('stops at a cause that is not an error', () => {
    expect(causeText(new Error('a', { cause: { cause: 'hidden' } }))).toBe('[object Object]')
  })

  it('reads an error with its causes as one line', () => {
    expect(errorChainText(new TypeError('bad'))).toBe('TypeError: bad')
    expect(errorChainText(chain(2))).toBe('Error: e1: Error: e2')
  })

  it('describes an AppError without detail by its causes only', () => {
    expect(describeError(new AppError('timeout', undefined, { cause: new Error('socket') }))).toBe('Error: socket')
    expect(describeError(new AppError('timeout', undefined, { detail: 'poll', cause: new Error('socket') }))).toBe('poll: Error: socket')
    expect(describeError(null)).toBe('null')
  })
})

describe('what a client is told of an error', () => {
  it('is an AppError’s own code and message, else the fallback’s', () => {
    expect(toErrorInfo(new AppError('place_failed', 'no room'))).toStrictEqual({ code: 'place_failed', message: 'no room' })
    expect(toErrorInfo(new Error('boom'))).toStrictEqual({ code: 'internal', message: ERROR_MESSAGES.internal })
    expect(toErrorInfo('boom', 'relay_unreachable')).toStrictEqual({ code: 'relay_unreachable', message: ERROR_MESSAGES.relay_unreachable })
  })

  it('from the relay, never a code outside the relay’s set', () => {
    expect(toRelayErrorInfo(new AppError('timeout', 'slow'))).toStrictEqual({ code: 'timeout', message: 'slow' })
    expect(toRelayErrorInfo(new AppError('export_failed', 'client only'))).toStrictEqual({
      code: 'internal',
      message: ERROR_MESSAGES.internal
    })
    expect(toRelayErrorInfo(new Error('boom'))).toStrictEqual({ code: 'internal', message: ERROR_MESSAGES.internal })
  })
})
