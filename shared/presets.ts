/**
 * Instruction templates for the common jobs. They go into the instruction field as plain text the
 * designer edits: nothing is added behind their back. `{…}` marks the part to replace; the panel
 * selects the first one.
 */
export interface Preset {
  readonly id: string
  readonly label: string
  readonly template: string
}

export const PRESETS: readonly Preset[] = [
  {
    id: 'background',
    label: 'Change the background',
    template: 'Replace the background with {a sunlit marble countertop}, keeping the subject, its lighting and all text exactly as they are'
  },
  {
    id: 'restyle',
    label: 'Restyle',
    template: 'Restyle the image as {a flat vector illustration}, keeping the layout, the text and the logo unchanged'
  },
  {
    id: 'recolor',
    label: 'Recolor the product',
    template:
      'Change the color of the {product} to {deep forest green}, keeping its material, shape, lighting and everything else unchanged'
  },
  {
    id: 'translate',
    label: 'Translate the headline',
    template: "Translate the headline '{Spring Sale}' into {German}, keeping the same font, size, color and position"
  },
  {
    id: 'remove',
    label: 'Remove an object',
    template: 'Remove the {coffee cup}, filling the space with the surrounding background, keeping everything else unchanged'
  }
]

/** Where the first `{…}` placeholder sits, for selecting it; braces are removed from the text. */
export function fillPreset(template: string): { text: string; selectStart: number; selectEnd: number } {
  const open = template.indexOf('{')
  const close = template.indexOf('}', open)
  const text = template.replace(/[{}]/g, '')
  if (open === -1 || close === -1) return { text, selectStart: text.length, selectEnd: text.length }
  return { text, selectStart: open, selectEnd: close - 1 }
}

/** The typography helper's instruction: known to work well with Kontext for text replacement. */
export function replaceTextInstruction(oldText: string, newText = 'new text'): { text: string; selectStart: number; selectEnd: number } {
  const prefix = `Replace '${oldText}' with '`
  const text = `${prefix}${newText}' while keeping the same font, size and color`
  return { text, selectStart: prefix.length, selectEnd: prefix.length + newText.length }
}

/** Reads "Replace 'old' with 'new'" back, for the length warning. */
export function parseReplaceInstruction(prompt: string): { oldText: string; newText: string } | undefined {
  const match = /Replace '([^']*)' with '([^']*)'/.exec(prompt)
  return match === null ? undefined : { oldText: match[1]!, newText: match[2]! }
}
