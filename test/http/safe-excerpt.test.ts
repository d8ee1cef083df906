import { describe, expect, it } from 'vitest'
import { EXCERPT_CHARS, listSome, safeExcerpt } from '../../relay/http/safe-excerpt'

describe('safeExcerpt', () => {
  it('keeps a short text as it is', () => {
    expect(safeExcerpt('colour')).toBe('colour')
    expect(safeExcerpt('')).toBe('')
  })

  it('keeps exactly the limit, and cuts one character more with an ellipsis', () => {
    expect(EXCERPT_CHARS).toBe(40)
    expect(safeExcerpt('a'.repeat(40))).toBe('a'.repeat(40))
    expect(safeExcerpt('a'.repeat(41))).toBe(`${'a'.repeat(40)}…`)
    expect(safeExcerpt('abcdef', 5)).toBe('abcde…')
    expect(safeExcerpt('abcde', 5)).toBe('abcde')
  })

  it('removes control and bidi-override characters before counting', () => {
    expect(safeExcerpt('a\u0000b\u001fc\u007fd\u009fe\u202af\u202eg\u2066h\u2069i\nj')).toBe('abcdefghij')
    expect(safeExcerpt('\u202e'.repeat(10) + 'abc', 5)).toBe('abc')
    expect(safeExcerpt('x\u0020y\u00a0z\u2067')).toBe('x y\u00a0z')
  })

  it('reads only a bounded window of a huge text, and says it cut it even when the window is all control characters', () => {
    expect(safeExcerpt('\u0000'.repeat(1000) + 'tail', 5)).toBe('…')
    expect(safeExcerpt('b'.repeat(1_000_000), 3)).toBe('bbb…')
  })

  it('counts code points and never ends inside a surrogate pair', () => {
    expect(safeExcerpt('😀😀😀', 2)).toBe('😀😀…')
    expect(safeExcerpt('😀😀', 2)).toBe('😀😀')
    // The 4 × 2 = 8-unit window ends on the high half of the fifth emoji: it is dropped, not split.
    const cut = safeExcerpt(`${'a'.repeat(7)}😀b`, 2)
    expect(cut).toBe('aa…')
    expect(safeExcerpt(`\u0000\u0000\u0000\u0000\u0000\u0000\u0000😀`, 2)).toBe('…')
    expect(safeExcerpt(`\u0000\u0000\u0000\u0000\u0000\u0000😀`, 2)).toBe('😀')
  })

  it('drops only a half pair the window cut, keeping the window’s last character otherwise', () => {
    // The window (8 units) ends on "Z", after a whole pair: "Z" stays.
    expect(safeExcerpt(`😀${'\u0000'.repeat(5)}Ztail`, 2)).toBe('😀Z…')
    expect(safeExcerpt(`${'\u0000'.repeat(7)}Ztail`, 2)).toBe('Z…')
    // A lone high surrogate the client sent at the very end is its own, not one the window cut.
    expect(safeExcerpt('ab\uD83D')).toBe('ab\uD83D')
  })
})

describe('listSome', () => {
  it('lists up to three items and counts the rest', () => {
    expect(listSome([])).toBe('')
    expect(listSome(['a'])).toBe('a')
    expect(listSome(['a', 'b', 'c'])).toBe('a, b, c')
    expect(listSome(['a', 'b', 'c', 'd'])).toBe('a, b, c and 1 more')
    expect(listSome(['a', 'b', 'c', 'd', 'e'], 2)).toBe('a, b and 3 more')
    expect(listSome(['a', 'b'], 2)).toBe('a, b')
  })
})
