import type { PortSceneNode } from '../figma-port'

/**
 * The size of what exportAsync renders: the node's axis-aligned box on the page. `width` and
 * `height` ignore rotation, while a rotated node exports as its bounding box
 * (@figma/plugin-typings: DimensionAndPositionMixin.absoluteBoundingBox, ExportSettingsImage).
 */
export function exportBox(node: PortSceneNode): { width: number; height: number } {
  const box = node.absoluteBoundingBox
  return box === null ? { width: node.width, height: node.height } : { width: box.width, height: box.height }
}
