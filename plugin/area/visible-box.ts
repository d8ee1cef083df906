import type { PortNode, PortSceneNode } from '../figma-port'

export interface PageBox {
  x: number
  y: number
  width: number
  height: number
}

export function intersect(a: PageBox, b: PageBox): PageBox | undefined {
  const x = Math.max(a.x, b.x)
  const y = Math.max(a.y, b.y)
  const width = Math.min(a.x + a.width, b.x + b.width) - x
  const height = Math.min(a.y + a.height, b.y + b.height) - y
  return width > 0 && height > 0 ? { x, y, width, height } : undefined
}

function asScene(node: PortNode): PortSceneNode | undefined {
  return 'visible' in node && 'absoluteBoundingBox' in node ? (node as PortSceneNode) : undefined
}

/**
 * What shows of `node` inside `container`, on the page (axis-aligned, from absoluteBoundingBox):
 * nothing when it or an ancestor is hidden (Figma draws no descendant of a hidden layer), cut to
 * every ancestor frame that clips its content, and always to the container, whose export is the
 * container's own box. Undefined when nothing shows.
 */
export function visibleBox(node: PortSceneNode, container: PortSceneNode): PageBox | undefined {
  if (!node.visible || node.absoluteBoundingBox === null || container.absoluteBoundingBox === null) return undefined
  let box: PageBox | undefined = node.absoluteBoundingBox
  let ancestor: PortNode | null = node.parent
  while (ancestor !== null && node !== container) {
    const scene = asScene(ancestor)
    if (scene === undefined) break
    if (!scene.visible) return undefined
    if (scene === container) break
    if (scene.clipsContent === true && scene.absoluteBoundingBox !== null) box = intersect(box, scene.absoluteBoundingBox)
    if (box === undefined) return undefined
    ancestor = ancestor.parent
  }
  return intersect(box, container.absoluteBoundingBox)
}
