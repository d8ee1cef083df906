import { Provenance, PROVENANCE_KEY } from '../../shared/provenance'
import type { PortSceneNode } from '../figma-port'

/** A Kontext Edit result's provenance, or undefined for any other node (or unreadable data). */
export function readProvenance(node: PortSceneNode): Provenance | undefined {
  const raw = node.getPluginData(PROVENANCE_KEY)
  // Stryker disable next-line ConditionalExpression,StringLiteral: a shortcut: JSON.parse('') throws, and the catch answers undefined too
  if (raw === '') return undefined
  // Stryker disable BlockStatement: an empty catch also ends with undefined (a next-line directive cannot reach a catch block)
  try {
    const parsed = Provenance.safeParse(JSON.parse(raw))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
  // Stryker restore BlockStatement
}
