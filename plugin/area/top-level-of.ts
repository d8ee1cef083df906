import type { PortNode, PortSceneNode } from '../figma-port'

/**
 * The node's top-level ancestor: the one whose parent is the page or a section (the node itself
 * when it is top-level); undefined when the node is no longer on a page (removed, or its ancestors
 * are). Sections are skipped because designers group screens in them: a headline in a frame inside
 * a section belongs to that frame, not to the section with every other screen in it.
 */
export function topLevelOf<N extends PortSceneNode>(node: N): N | undefined {
  let current: PortNode = node
  while (current.parent !== null) {
    if (current.parent.type === 'PAGE' || current.parent.type === 'SECTION') return current as N
    current = current.parent
  }
  return undefined
}
