import type { AreaOffer, AreaRect } from '../../shared/area/area-geometry'
import type { PanelState } from '../state/panel-state'

/** The area “This area only” would edit, and the stored rectangle to export when there is one. */
export interface OfferedArea {
  offer: AreaOffer
  /** Set for a region result: its own area, which the sandbox exports as it is. */
  rect?: AreaRect
}

/**
 * The sandbox's offer for layers inside a frame; else, for a region result selected on its own,
 * its stored area: the result stands in for its frame (it has the frame's footprint), so Edit
 * again changes the same area of it.
 */
export function offeredArea(state: Pick<PanelState, 'area' | 'selection'>): OfferedArea | undefined {
  if (state.area !== undefined) return { offer: state.area }
  const only = state.selection.length === 1 ? state.selection[0] : undefined
  const stored = only?.provenance?.area
  if (only === undefined || stored === undefined) return undefined
  const rect = stored.geometry.area
  return {
    offer: {
      containerId: only.id,
      containerName: only.name,
      containerWidth: only.width,
      containerHeight: only.height,
      nodeIds: [only.id],
      label: stored.label,
      rect
    },
    rect
  }
}
