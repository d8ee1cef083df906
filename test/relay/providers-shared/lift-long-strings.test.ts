import { describe, expect, it } from 'vitest'
import { LIFT_MIN_BYTES, liftLongStrings } from '../../../relay/providers/shared/lift-long-strings'

const NONCE = 'n0nce'
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** The answer parsed with its long strings lifted, then each placeholder put back as its bytes' text: must equal JSON.parse of the whole. */
function parsedThroughLift(text: string): { value: unknown; lifted: number } {
  const { text: rest, strings } = liftLongStrings(encoder.encode(text), NONCE)
  const restore = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const bytes = strings.get(value)
      return bytes === undefined ? value : decoder.decode(bytes)
    }
    if (Array.isArray(value)) return value.map(restore)
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [restore(key), restore(item)]))
    return value
  }
  return { value: restore(JSON.parse(rest)), lifted: strings.size }
}

function base64Of(length: number, seed = 1): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  let state = seed
  let out = ''
  for (let index = 0; index < length; index += 1) {
    state = (state * 1103515245 + 12345) >>> 0
    out += alphabet[state % 64]
  }
  return out
}

describe('lifting long strings out of a host answer', () => {
  const image = base64Of(LIFT_MIN_BYTES * 3)

  it('lifts each long string and parses to the same values, compact or pretty-printed', () => {
    const answer = {
      data: [
        { taskUUID: 'a', imageBase64Data: image, seed: 1, cost: 0.04 },
        { taskUUID: 'b', imageDataURI: `data:image/png;base64,${base64Of(LIFT_MIN_BYTES, 2)}`, note: 'short "quoted" \\ text' }
      ]
    }
    for (const text of [JSON.stringify(answer), JSON.stringify(answer, null, 2), JSON.stringify(answer, null, '\t')]) {
      expect(parsedThroughLift(text)).toEqual({ value: answer, lifted: 2 })
    }
  })

  it('gives the lifted bytes exactly, and a placeholder JSON.parse turns into the key of the map', () => {
    const { text, strings } = liftLongStrings(encoder.encode(JSON.stringify({ data: [{ imageBase64Data: image }] })), NONCE)
    expect(text).toBe('{"data":[{"imageBase64Data":"\\u0000n0nce:0"}]}')
    expect([...strings.keys()]).toEqual(['\u0000n0nce:0'])
    expect(decoder.decode(strings.get('\u0000n0nce:0'))).toBe(image)
  })

  it('leaves strings shorter than the threshold, and strings with escapes, as they are', () => {
    const short = base64Of(LIFT_MIN_BYTES - 1)
    const escaped = `${image.slice(0, 100)}\n${image.slice(100)}`
    const answer = { a: short, b: escaped, c: `${image}"`, d: `\\${image}` }
    expect(parsedThroughLift(JSON.stringify(answer))).toEqual({ value: answer, lifted: 0 })
  })

  it('finds strings after escaped quotes and backslashes: a long string right after one is lifted', () => {
    for (const before of ['ends with \\', 'a "quote"', '\\"', '\\\\', 'é ü ☃ 😀']) {
      const answer = { message: before, imageBase64Data: image, after: before }
      expect(parsedThroughLift(JSON.stringify(answer))).toEqual({ value: answer, lifted: 1 })
    }
  })

  it('lifts a long key too, and long strings inside nested arrays', () => {
    const answer = { [image]: [[image, 1], { deep: [image] }] }
    expect(parsedThroughLift(JSON.stringify(answer))).toEqual({ value: answer, lifted: 3 })
  })

  it('never resolves a placeholder a host sends: it has a backslash, so it is not lifted and matches no key', () => {
    const forged = `\\u0000${NONCE}:0`
    const text = `{"a":"${image}","b":"${forged}${'x'.repeat(LIFT_MIN_BYTES)}","c":"${forged}"}`
    const { text: rest, strings } = liftLongStrings(encoder.encode(text), NONCE)
    const parsed = JSON.parse(rest) as Record<string, string>
    expect(strings.size).toBe(1)
    expect(strings.get(parsed.a!)).toBeDefined()
    // The host's own text parses to the same string as a placeholder would, so only an unguessable nonce keeps them apart.
    expect(parsed.c).toBe(`\u0000${NONCE}:0`)
    expect(liftLongStrings(encoder.encode(text), 'other').strings.has(parsed.c!)).toBe(false)
  })

  it('leaves what is not JSON for JSON.parse to refuse', () => {
    for (const text of [`{"a":"${image}`, `{"a":"${image}",`, `<html>${image}</html>`, '', `"${image}"x`]) {
      const { text: rest } = liftLongStrings(encoder.encode(text), NONCE)
      expect(() => JSON.parse(rest)).toThrow()
    }
  })

  it('keeps multi-byte characters whole on either side of a lifted string', () => {
    const answer = { before: '日本語 ✓', image, after: 'Ünïcödé 😀' }
    expect(parsedThroughLift(JSON.stringify(answer))).toEqual({ value: answer, lifted: 1 })
  })

  it('lifts a string of exactly the threshold, and an answer that is one long string', () => {
    const exact = base64Of(LIFT_MIN_BYTES, 3)
    expect(parsedThroughLift(JSON.stringify({ a: exact }))).toEqual({ value: { a: exact }, lifted: 1 })
    expect(parsedThroughLift(JSON.stringify(exact))).toEqual({ value: exact, lifted: 1 })
  })

  it('tells a closing quote after escaped backslashes from an escaped quote, however many there are', () => {
    for (const slashes of [1, 2, 3, 4, 5]) {
      // An odd run escapes the quote after it; an even run is all escaped backslashes, and the quote closes.
      const text = '\\'.repeat(slashes)
      const answer = { tricky: `${text}"${text}`, last: text, image }
      expect(parsedThroughLift(JSON.stringify(answer))).toEqual({ value: answer, lifted: 1 })
    }
  })
})
