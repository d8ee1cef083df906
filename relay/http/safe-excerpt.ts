/**
 * What an error message may quote of a client's input: a short piece, with control and
 * bidirectional-override characters removed (they could forge log lines or flip the text the
 * designer reads), cut with "…". Answers stay small whatever was sent: a 1 MB field name or
 * 300,000 unknown keys must not come back in a 400.
 */
export const EXCERPT_CHARS = 40

// C0, DEL, C1, and the Unicode bidi embeddings, overrides and isolates.
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's purpose
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

export function safeExcerpt(text: string, maxChars: number = EXCERPT_CHARS): string {
  // A bounded window, so a megabyte costs no more than a short string; never ending inside a
  // surrogate pair. Cleaned first, then cut by code points.
  let window = text.slice(0, maxChars * 4)
  if (window.length < text.length && /[\uD800-\uDBFF]$/.test(window)) window = window.slice(0, -1)
  const chars = Array.from(window.replace(UNSAFE, ''))
  return chars.length > maxChars || window.length < text.length ? `${chars.slice(0, maxChars).join('')}…` : chars.join('')
}

/** `a, b, c and 12 more`: at most `max` items, each already safe to show. */
export function listSome(items: readonly string[], max = 3): string {
  const shown = items.slice(0, max).join(', ')
  return items.length > max ? `${shown} and ${items.length - max} more` : shown
}
