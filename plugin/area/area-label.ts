import type { PortSceneNode } from '../figma-port'

const MAX_LABEL_CHARS = 30

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  if (flat.length <= MAX_LABEL_CHARS) return flat
  const cut = flat.slice(0, MAX_LABEL_CHARS - 1)
  // At a word's end when one is near, so the label does not stop mid-word (spaces come single, so neither end has one).
  const space = cut.lastIndexOf(' ')
  return `${space >= MAX_LABEL_CHARS / 2 ? cut.slice(0, space) : cut}…`
}

/**
 * What the panel calls the area: one layer by what a designer sees of it (a text layer's words,
 * else its name), several by their count: “Spring Sale” in “Hero”, 3 layers in “Hero”.
 */
export function areaLabel(nodes: ReadonlyArray<PortSceneNode>, containerName: string): string {
  const only = nodes.length === 1 ? nodes[0] : undefined
  if (only === undefined) return `${nodes.length} layers in “${containerName}”`
  // Only text layers have characters.
  const words = only.characters === undefined ? '' : shorten(only.characters)
  return `“${words === '' ? shorten(only.name) : words}” in “${containerName}”`
}
