import type { AreaOffer } from '../../shared/area/area-geometry'
import { AREA_MIN_SIDE } from '../../shared/area/area-limits'
import type { PortSceneNode } from '../figma-port'
import { areaLabel } from './area-label'
import { topLevelOf } from './top-level-of'
import { visibleBox, type PageBox } from './visible-box'

/**
 * What can hold an area: a top-level frame, component (set) or instance (top-level: on the page or
 * in a section, see topLevelOf), and a top-level group too, because Figma renders and exports a group as the union of its layers, like a frame
 * without a fill, and designers often lay a screen out as a group with no frame around it.
 */
const CONTAINER_TYPES: ReadonlySet<string> = new Set(['FRAME', 'COMPONENT', 'COMPONENT_SET', 'INSTANCE', 'GROUP'])

/** From this share of the container on, the area is nearly the whole frame. */
const WHOLE_FRAME_SHARE = 0.9

function unionOf(boxes: ReadonlyArray<PageBox>): PageBox | undefined {
  if (boxes.length === 0) return undefined
  const left = Math.min(...boxes.map((box) => box.x))
  const top = Math.min(...boxes.map((box) => box.y))
  const right = Math.max(...boxes.map((box) => box.x + box.width))
  const bottom = Math.max(...boxes.map((box) => box.y + box.height))
  return { x: left, y: top, width: right - left, height: bottom - top }
}

/**
 * The area “This area only” would edit for the selected layers: what shows of them, in their
 * top-level container's coordinates at 1×. Every box is the axis-aligned absoluteBoundingBox on
 * the page, relative to the container's, so a rotated container or layer lines up with the
 * container's export (useAbsoluteBounds renders that same box). Undefined when nothing is
 * selected, when only top-level layers are (they are frames to edit whole), or when the top-level
 * layer is no container. With `problem` the panel offers the whole frame only. Locked layers count
 * like any other: locking stops moves on the canvas, not what the export shows.
 */
export function findAreaOffer<N extends PortSceneNode>(nodes: ReadonlyArray<N>): AreaOffer | undefined {
  const tops = nodes.map((node) => topLevelOf(node))
  if (nodes.length === 0 || nodes.every((node, index) => tops[index] === node)) return undefined
  const containers = [...new Set(tops)]
  const container = containers[0]
  if (container === undefined || containers.includes(undefined) || !CONTAINER_TYPES.has(container.type)) return undefined
  const box = container.absoluteBoundingBox
  if (box === null || !(box.width > 0 && box.height > 0)) return undefined
  const name = container.name
  const offer = {
    containerId: container.id,
    containerName: name,
    containerWidth: box.width,
    containerHeight: box.height,
    nodeIds: nodes.map((node) => node.id),
    label: areaLabel(nodes, name)
  }
  const whole = { x: 0, y: 0, width: box.width, height: box.height }
  if (containers.length > 1) {
    return { ...offer, rect: whole, problem: `The selected layers are in ${containers.length} frames: select layers in one frame` }
  }
  const shown = unionOf(nodes.flatMap((node) => visibleBox(node, container) ?? []))
  if (shown === undefined) {
    return { ...offer, rect: whole, problem: `Nothing of the selection is visible in “${name}”: show the layers, or select visible ones` }
  }
  const rect = { x: shown.x - box.x, y: shown.y - box.y, width: shown.width, height: shown.height }
  if (rect.width < AREA_MIN_SIDE || rect.height < AREA_MIN_SIDE) {
    return {
      ...offer,
      rect,
      problem: `The selected area is under ${AREA_MIN_SIDE} px on a side: select a larger layer, or edit the whole frame`
    }
  }
  if (rect.width * rect.height >= WHOLE_FRAME_SHARE * box.width * box.height) {
    return { ...offer, rect, wholeFrameNote: `The selection covers almost all of “${name}”: the whole frame will be edited` }
  }
  return { ...offer, rect }
}
