import { describe, expect, it } from 'vitest'
import { fillPreset, parseReplaceInstruction, PRESETS, replaceTextInstruction } from '../../shared/presets'

describe('an instruction template', () => {
  it('loses its braces and selects the first placeholder', () => {
    expect(fillPreset('Make the {sky} {purple}')).toEqual({ text: 'Make the sky purple', selectStart: 9, selectEnd: 12 })
    expect(fillPreset('{All} of it')).toEqual({ text: 'All of it', selectStart: 0, selectEnd: 3 })
  })

  it('puts the cursor at the end when there is no placeholder', () => {
    expect(fillPreset('Plain text')).toEqual({ text: 'Plain text', selectStart: 10, selectEnd: 10 })
    expect(fillPreset('Open { only')).toEqual({ text: 'Open  only', selectStart: 10, selectEnd: 10 })
    expect(fillPreset('Close } only')).toEqual({ text: 'Close  only', selectStart: 11, selectEnd: 11 })
  })

  it('looks for the closing brace after the opening one', () => {
    expect(fillPreset('a } b {c}')).toEqual({ text: 'a  b c', selectStart: 6, selectEnd: 7 })
  })

  it('selects a placeholder in each preset', () => {
    for (const preset of PRESETS) {
      const filled = fillPreset(preset.template)
      expect(filled.text, preset.id).not.toMatch(/[{}]/)
      expect(filled.selectEnd, preset.id).toBeGreaterThan(filled.selectStart)
    }
  })
})

describe('the typography helper’s instruction', () => {
  it('selects the new text, to be typed over', () => {
    const built = replaceTextInstruction('Spring Sale', 'Sommerschluss')
    expect(built.text).toBe("Replace 'Spring Sale' with 'Sommerschluss' while keeping the same font, size and color")
    expect(built.text.slice(built.selectStart, built.selectEnd)).toBe('Sommerschluss')
    expect(replaceTextInstruction('Hi').text).toBe("Replace 'Hi' with 'new text' while keeping the same font, size and color")
  })

  it('reads back what it wrote, and nothing else', () => {
    expect(parseReplaceInstruction(replaceTextInstruction('Old', 'New').text)).toEqual({ oldText: 'Old', newText: 'New' })
    expect(parseReplaceInstruction("Replace '' with ''")).toEqual({ oldText: '', newText: '' })
    expect(parseReplaceInstruction('Make it blue')).toBeUndefined()
  })
})
