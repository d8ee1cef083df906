import { Provenance, PROVENANCE_KEY } from '../../shared/provenance'
import type { PortSceneNode } from '../figma-port'

/** A Kontext Edit result's provenance, or undefined for any other node (or unreadable data). */
export function readProvenance(node: PortSceneNode): Provenance | undefined {
  const raw = node.getPluginData(PROVENANCE_KEY)
  if (raw === '') return undefined
  try {
    const parsed = Provenance.safeParse(JSON.parse(raw))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}
