import type { PortSceneNode } from '../figma-port'

/** Why a node cannot serve as a reference, in a designer's words; undefined when it can. */
export function exportProblem(node: PortSceneNode): string | undefined {
  if (!node.visible) return 'This layer is hidden. Show it to edit it.'
  if (node.width < 1 || node.height < 1) return 'This layer has no visible size.'
  return undefined
}
