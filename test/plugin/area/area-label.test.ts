import { describe, expect, it } from 'vitest'
import { areaLabel } from '../../../plugin/area/area-label'
import { createFakeFigma } from '../../fakes/fake-figma'

describe('what the panel calls an area', () => {
  const figma = createFakeFigma()
  const frame = figma.frame('Hero', { x: 0, y: 0, width: 1440, height: 900 })
  const text = (characters: string) => figma.text('Text', { x: 0, y: 0, width: 100, height: 20 }, characters, frame)

  it('flattens every run of spaces and line breaks to one space', () => {
    expect(areaLabel([text('Spring   Sale\n\n\tNow')], 'Hero')).toBe('“Spring Sale Now” in “Hero”')
  })

  it('keeps words of exactly 30 characters whole, and cuts longer ones at a word from the 15th character on', () => {
    expect(areaLabel([text('abcdefghij abcdefghij abcdefgh')], 'Hero')).toBe('“abcdefghij abcdefghij abcdefgh” in “Hero”')
    // The cut's last space at index 15, half the limit: cut there.
    expect(areaLabel([text('abcdefghijklmno pqrstuvwxyzabcdefghij')], 'Hero')).toBe('“abcdefghijklmno…” in “Hero”')
    // At index 14, too early: cut mid-word at 29 characters.
    expect(areaLabel([text('abcdefghijklmn opqrstuvwxyzabcdefghij')], 'Hero')).toBe('“abcdefghijklmn opqrstuvwxyzab…” in “Hero”')
  })

  it('names a layer that is not text by its name, shortened the same way', () => {
    const button = figma.rectangle('Primary   button, large size, hover state', { x: 0, y: 0, width: 10, height: 10 }, frame)
    expect(areaLabel([button], 'Hero')).toBe('“Primary button, large size,…” in “Hero”')
  })
})
