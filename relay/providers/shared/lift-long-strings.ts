/**
 * Strings at least this long are lifted out of a host's answer before it is parsed: image data
 * (base64, data: URIs). Ids, statuses, costs and error messages are far shorter.
 */
export const LIFT_MIN_BYTES = 4096

const QUOTE = 0x22
const BACKSLASH = 0x5c

type IndexOf = (this: Uint8Array, byte: number, from: number) => number
// Node's Buffer searches with memchr, ~25× faster than TypedArray#indexOf over a megabyte; Workers may lack it.
const nodeIndexOf = (globalThis as { Buffer?: { prototype: { indexOf: IndexOf } } }).Buffer?.prototype.indexOf

function indexOfByte(bytes: Uint8Array, byte: number, from: number): number {
  return nodeIndexOf === undefined ? bytes.indexOf(byte, from) : nodeIndexOf.call(bytes, byte, from)
}

export interface LiftedJson {
  /** The answer as text, each lifted string's content replaced by its placeholder. */
  text: string
  /** Each placeholder, as JSON.parse gives it back, and the lifted string's bytes as they came. */
  strings: Map<string, Uint8Array>
}

/** The closing quote of the string whose content starts at `from`: the next quote after an even run of backslashes. */
function closingQuote(bytes: Uint8Array, from: number): number {
  for (let at = from; ;) {
    const quote = indexOfByte(bytes, QUOTE, at)
    // Stryker disable next-line all: an unterminated string ends the walk either way (no later quote pairs with it), and JSON.parse refuses what is left
    if (quote < 0) return -1
    let backslashes = 0
    while (quote - 1 - backslashes >= from && bytes[quote - 1 - backslashes] === BACKSLASH) backslashes += 1
    if (backslashes % 2 === 0) return quote
    at = quote + 1
  }
}

/**
 * A host's JSON answer with its long strings taken out before it becomes text: decoding a
 * megabyte of base64 into a string, parsing that string and decoding it again cost ~5 ms of the
 * relay's CPU per edit, where this costs a scan for quotes (an answer has a few dozen) and the
 * image's own base64 decode.
 *
 * In JSON every quote outside a string opens one, so walking from quote to closing quote finds
 * every string. A long one without a backslash (no escapes: its bytes are its value) is replaced
 * by a placeholder that starts with the escape `\u0000` and `nonce` (per answer, unguessable): a
 * host cannot send one, since a string it sends with `\u0000` has a backslash and stays as it is.
 * If the rest parses, the placeholder sat alone in a string, so the answer parses to the same
 * values with the lifted bytes in their place; one laxity: a control character inside a lifted
 * string (invalid JSON) is not refused here, and the image check that follows judges the bytes.
 */
export function liftLongStrings(bytes: Uint8Array, nonce: string): LiftedJson {
  const decoder = new TextDecoder()
  const parts: string[] = []
  const strings = new Map<string, Uint8Array>()
  let copied = 0
  for (let at = 0; ;) {
    const open = indexOfByte(bytes, QUOTE, at)
    if (open < 0) break
    const close = closingQuote(bytes, open + 1)
    // Unterminated: left as it is, for JSON.parse to refuse.
    // Stryker disable next-line EqualityOperator: a closing quote comes after its opening one, so it is never at 0
    if (close < 0) break
    const content = bytes.subarray(open + 1, close)
    if (content.byteLength >= LIFT_MIN_BYTES && indexOfByte(content, BACKSLASH, 0) < 0) {
      const index = strings.size
      // Each part ends at a quote (ASCII), so no character is split between two parts.
      parts.push(decoder.decode(bytes.subarray(copied, open + 1)), `\\u0000${nonce}:${index}`)
      strings.set(`\u0000${nonce}:${index}`, content)
      copied = close
    }
    at = close + 1
  }
  parts.push(decoder.decode(bytes.subarray(copied)))
  return { text: parts.join(''), strings }
}
