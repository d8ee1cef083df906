import { PROMPT_MAX_CHARS, PROMPT_MIN_CHARS } from '../../shared/limits'
import { areaOutputSizes } from '../../shared/area/area-output-sizes'
import type { Plan, PlanItem } from '../edit/run-plan-async'
import type { PanelState } from '../state/panel-state'
import { resolveChoice, type Choice } from '../state/resolve-choice'
import { estimateEditsCostUsd } from './estimate-edits-cost'
import { offeredArea, type OfferedArea } from './offered-area'

/** What the panel derives from its state: the host and model in use, the plan an Edit would run, its cost. */
export interface PanelViewModel {
  choice: Choice
  maxReferences: number
  /** Frames the run edits (each on its own), 1 otherwise. */
  frames: number
  variants: number
  cost: number
  /** What is left of today's budget; null when unknown or unlimited. */
  remaining: number | null
  plan: Plan | undefined
  canRun: boolean
  /** Distinct text layers across the selection, in reading order. */
  texts: Array<{ id: string; characters: string }>
  /** Layers selected inside a frame (or a region result): the area offered, and whether the run edits only it. */
  area: (OfferedArea & { runsArea: boolean }) | undefined
}

function textsOf(state: PanelState): Array<{ id: string; characters: string }> {
  const unique = new Map<string, { id: string; characters: string }>()
  for (const text of state.selection.flatMap((item) => item.texts)) if (!unique.has(text.characters)) unique.set(text.characters, text)
  return [...unique.values()]
}

function choiceOf(state: PanelState): Choice {
  return resolveChoice(state.connection.kind === 'ok' ? state.connection.models : undefined, state.settings.options)
}

function modeOf(state: PanelState, maxReferences: number): 'single' | 'each' | 'together' {
  if (state.selection.length <= 1) return 'single'
  return state.mode === 'together' && state.selection.length <= maxReferences ? 'together' : 'each'
}

/** Only the area when the designer keeps “This area only” and the sandbox sees no reason against it. */
function runsArea(state: PanelState, offered: OfferedArea): boolean {
  return state.areaScope === 'area' && offered.offer.problem === undefined && offered.offer.wholeFrameNote === undefined
}

/** An area offer's plan item: its area, or (the designer's choice, or a reason against the area) its whole frame. */
function areaItem(state: PanelState, choice: Choice, offered: OfferedArea): PlanItem {
  const { offer } = offered
  const item = {
    sourceId: offer.containerId,
    name: offer.containerName,
    nodeIds: [offer.containerId],
    frame: { width: offer.containerWidth, height: offer.containerHeight }
  }
  if (!runsArea(state, offered)) return item
  const area = {
    containerId: offer.containerId,
    nodeIds: offer.nodeIds,
    ...(offered.rect === undefined ? {} : { rect: offered.rect }),
    label: offer.label,
    outputSizes: areaOutputSizes(choice.host, choice.capabilities.id)
  }
  return { ...item, area }
}

/**
 * The plan an edit of the selection with `prompt` runs: each frame on its own, or the whole
 * selection as one edit's references. undefined when nothing (or something uneditable) is selected.
 */
export function selectionPlan(state: PanelState, prompt: string): Plan | undefined {
  const choice = choiceOf(state)
  const offered = offeredArea(state)
  const editable = state.selection.filter((item) => item.problem === undefined)
  if (offered === undefined && (editable.length === 0 || editable.length !== state.selection.length)) return undefined
  const toItem = (item: (typeof editable)[number], nodeIds: string[] | undefined): PlanItem => ({
    sourceId: item.id,
    name: item.name,
    nodeIds,
    frame: { width: item.width, height: item.height }
  })
  const items =
    offered !== undefined
      ? [areaItem(state, choice, offered)]
      : modeOf(state, choice.capabilities.maxReferences) === 'each'
        ? editable.map((item) => toItem(item, [item.id]))
        : [toItem(editable[0]!, undefined)]
  const first = editable[0]
  // Editing a result again: the new result's provenance points back to it.
  const parent =
    editable.length === 1 && first?.provenance !== undefined ? { nodeId: first.id, relayJobId: first.provenance.relayJobId } : undefined
  return {
    items,
    prompt,
    options: state.settings.options,
    capabilities: choice.capabilities,
    provider: choice.explicitHost,
    ...(parent === undefined ? {} : { parent })
  }
}

export function panelViewModel(state: PanelState): PanelViewModel {
  const choice = choiceOf(state)
  const maxReferences = choice.capabilities.maxReferences
  const editable = state.selection.filter((item) => item.problem === undefined)
  const offered = offeredArea(state)
  const frames = offered === undefined && modeOf(state, maxReferences) === 'each' ? editable.length : 1
  const variants = Math.min(state.settings.options.numImages, choice.capabilities.maxVariants)
  const edits =
    offered !== undefined
      ? [[{ width: offered.offer.containerWidth, height: offered.offer.containerHeight }]]
      : frames > 1
        ? editable.map((item) => [item])
        : [editable]
  const cost = estimateEditsCostUsd(choice.capabilities, edits, variants)
  const remaining = state.connection.kind === 'ok' ? (state.connection.usage?.remainingUsd ?? null) : null
  const promptLength = state.prompt.trim().length
  const plan = selectionPlan(state, state.prompt.trim())
  const canRun =
    state.phase.kind !== 'running' && promptLength >= PROMPT_MIN_CHARS && promptLength <= PROMPT_MAX_CHARS && plan !== undefined
  const area = offered === undefined ? undefined : { ...offered, runsArea: runsArea(state, offered) }
  return { choice, maxReferences, frames, variants, cost, remaining, plan, canRun, texts: textsOf(state), area }
}
