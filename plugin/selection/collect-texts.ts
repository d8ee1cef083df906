import type { PortSceneNode } from '../figma-port'

export interface TextLayer {
  id: string
  characters: string
}

const MAX_TEXTS = 40
const MAX_CHARACTERS = 200

/**
 * The visible text layers inside a node, in reading order: top to bottom, and left to right
 * within a line (two layers share a line when their vertical centres are within half the
 * smaller one's height).
 */
export function collectTexts(root: PortSceneNode): TextLayer[] {
  const found: Array<{ node: PortSceneNode; box: Rect }> = []
  const visit = (node: PortSceneNode): void => {
    if (!node.visible || found.length >= MAX_TEXTS * 4) return
    if (node.type === 'TEXT' && node.characters !== undefined && node.characters.trim() !== '' && node.absoluteBoundingBox !== null) {
      found.push({ node, box: node.absoluteBoundingBox })
    }
    for (const child of node.children ?? []) visit(child)
  }
  visit(root)
  const centre = (box: Rect): number => box.y + box.height / 2
  found.sort((a, b) => {
    const sameLine = Math.abs(centre(a.box) - centre(b.box)) < Math.min(a.box.height, b.box.height) / 2
    return sameLine ? a.box.x - b.box.x : centre(a.box) - centre(b.box)
  })
  // Stryker disable next-line StringLiteral: only layers with characters were collected, so the fallback is never read
  return found.slice(0, MAX_TEXTS).map(({ node }) => ({ id: node.id, characters: (node.characters ?? '').slice(0, MAX_CHARACTERS) }))
}
