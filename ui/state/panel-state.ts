import type { AreaOffer } from '../../shared/area/area-geometry'
import type { ErrorInfo } from '../../shared/errors'
import type { HistoryEntry, LaunchCommand, PendingJob, SelectionItem } from '../../shared/messages'
import type { Health, JobStatus, ModelsResponse, OwnerUsage } from '../../shared/relay-api'
import { DEFAULT_SETTINGS, type EditOptions, type Settings } from '../../shared/settings'
import type { AreaSummary } from '../edit/area-summary'
import type { EditStage } from '../edit/edit-deps'
import type { PendingPlacement } from '../edit/collect-results-async'

/** One frame's edit within a run (a run edits one frame, several together, or each on its own). */
export interface ItemState {
  sourceId: string
  name: string
  stage: EditStage | 'waiting' | 'done' | 'failed'
  stageStartedAt: number
  status?: JobStatus
  uploadBytes?: number
  nodeIds?: string[]
  costUsd?: number
  costEstimated?: boolean
  /** Said beside the result when it has fewer pixels than its frame. */
  resolutionNote?: string
  error?: ErrorInfo
  /** A paid result that could not be placed: kept so it can be placed again. */
  pending?: PendingPlacement
  /** A region edit's before/after, drift warning and notes. */
  area?: AreaSummary
}

export type Phase =
  | { kind: 'idle' }
  | { kind: 'running'; startedAt: number; canceling: boolean; items: ItemState[] }
  | { kind: 'finished'; elapsedMs: number; items: ItemState[]; besideSource: boolean }
  /** `pending` when the edit was canceled after it was paid for: the result can still be placed. */
  | { kind: 'canceled'; pending: PendingPlacement | undefined }

export type Connection =
  | { kind: 'unknown' }
  | { kind: 'checking' }
  | { kind: 'ok'; health: Health; models: ModelsResponse; usage?: OwnerUsage }
  | { kind: 'error'; error: ErrorInfo }

/** A job that was still running or unplaced when the panel last closed. */
export interface Recovered {
  job: PendingJob
  state: 'checking' | 'running' | 'ready' | 'placing'
  pending?: PendingPlacement
}

export type SelectionMode = 'together' | 'each'

/** With layers selected inside a frame: edit only their area, or the whole frame. */
export type AreaScope = 'area' | 'frame'

export interface PanelState {
  ready: boolean
  view: 'edit' | 'history' | 'settings'
  launch: { command: LaunchCommand; instruction?: string }
  settings: Settings
  selection: SelectionItem[]
  /** The area the sandbox offers for the selection (layers inside a frame); undefined otherwise. */
  area: AreaOffer | undefined
  areaScope: AreaScope
  mode: SelectionMode
  prompt: string
  /** A range of the instruction to select once (after a template or a text layer is inserted). */
  promptSelection: { start: number; end: number; serial: number } | undefined
  phase: Phase
  connection: Connection
  history: HistoryEntry[]
  recovered: Recovered[]
  notice: string | undefined
}

export type PanelAction =
  | {
      type: 'init'
      settings: Settings
      selection: SelectionItem[]
      area?: AreaOffer
      launch: PanelState['launch']
      history: HistoryEntry[]
      pendingJobs: PendingJob[]
    }
  | { type: 'selection'; selection: SelectionItem[]; area?: AreaOffer }
  | { type: 'area-scope'; scope: AreaScope }
  | { type: 'settings-saved'; settings: Settings }
  | { type: 'show'; view: PanelState['view'] }
  | { type: 'mode'; mode: SelectionMode }
  | { type: 'prompt'; prompt: string; select?: { start: number; end: number } }
  | { type: 'options'; options: Partial<EditOptions> }
  | { type: 'started'; items: Array<{ sourceId: string; name: string }>; now: number }
  | { type: 'item'; index: number; patch: Partial<ItemState>; now: number }
  | { type: 'cancel-requested' }
  | { type: 'finished'; now: number; besideSource: boolean }
  | { type: 'canceled'; pending?: PendingPlacement }
  | { type: 'dismiss' }
  | { type: 'connection'; connection: Connection }
  | { type: 'history'; history: HistoryEntry[] }
  | { type: 'recovered'; jobId: string; patch: Partial<Recovered> | undefined }
  | { type: 'notice'; notice: string | undefined }

export const INITIAL_STATE: PanelState = {
  ready: false,
  view: 'edit',
  launch: { command: 'open' },
  settings: DEFAULT_SETTINGS,
  selection: [],
  area: undefined,
  areaScope: 'area',
  mode: 'each',
  prompt: '',
  promptSelection: undefined,
  phase: { kind: 'idle' },
  connection: { kind: 'unknown' },
  history: [],
  recovered: [],
  notice: undefined
}

function patchItem(items: ItemState[], index: number, patch: Partial<ItemState>, now: number): ItemState[] {
  return items.map((item, position) => {
    if (position !== index) return item
    const stageChanged = patch.stage !== undefined && patch.stage !== item.stage
    return { ...item, ...patch, stageStartedAt: stageChanged ? now : item.stageStartedAt }
  })
}

/** “This area only” is the default again whenever other layers are selected; the choice holds while they stay selected. */
function withArea(state: PanelState, area: AreaOffer | undefined): Pick<PanelState, 'area' | 'areaScope'> {
  const sameLayers = area !== undefined && state.area !== undefined && area.nodeIds.join() === state.area.nodeIds.join()
  return { area, areaScope: sameLayers ? state.areaScope : 'area' }
}

function opened(state: PanelState, action: Extract<PanelAction, { type: 'init' }>): PanelState {
  return {
    ...state,
    ready: true,
    settings: action.settings,
    selection: action.selection,
    ...withArea(state, action.area),
    launch: action.launch,
    history: action.history,
    recovered: action.pendingJobs.map((job) => ({ job, state: 'checking' })),
    prompt: action.launch.instruction ?? state.prompt,
    view: action.settings.token === '' && action.launch.command !== 'quick' ? 'settings' : 'edit'
  }
}

export function panelReducer(state: PanelState, action: PanelAction): PanelState {
  switch (action.type) {
    case 'init':
      return opened(state, action)
    case 'selection':
      return { ...state, selection: action.selection, ...withArea(state, action.area) }
    case 'area-scope':
      return { ...state, areaScope: action.scope }
    case 'settings-saved':
      return { ...state, settings: action.settings }
    case 'show':
      return { ...state, view: action.view }
    case 'mode':
      return { ...state, mode: action.mode }
    case 'prompt':
      return {
        ...state,
        prompt: action.prompt,
        promptSelection:
          action.select === undefined ? state.promptSelection : { ...action.select, serial: (state.promptSelection?.serial ?? 0) + 1 }
      }
    case 'options':
      return { ...state, settings: { ...state.settings, options: { ...state.settings.options, ...action.options } } }
    case 'started':
      return {
        ...state,
        notice: undefined,
        phase: {
          kind: 'running',
          startedAt: action.now,
          canceling: false,
          items: action.items.map((item) => ({ ...item, stage: 'waiting', stageStartedAt: action.now }))
        }
      }
    case 'item':
      return state.phase.kind === 'running'
        ? { ...state, phase: { ...state.phase, items: patchItem(state.phase.items, action.index, action.patch, action.now) } }
        : state
    case 'cancel-requested':
      return state.phase.kind === 'running' ? { ...state, phase: { ...state.phase, canceling: true } } : state
    case 'finished':
      return state.phase.kind === 'running'
        ? {
            ...state,
            phase: {
              kind: 'finished',
              elapsedMs: action.now - state.phase.startedAt,
              items: state.phase.items,
              besideSource: action.besideSource
            }
          }
        : state
    case 'canceled':
      return { ...state, phase: { kind: 'canceled', pending: action.pending } }
    case 'dismiss':
      return { ...state, phase: { kind: 'idle' } }
    case 'connection':
      return { ...state, connection: action.connection }
    case 'history':
      return { ...state, history: action.history }
    case 'recovered':
      return {
        ...state,
        recovered:
          action.patch === undefined
            ? state.recovered.filter((entry) => entry.job.jobId !== action.jobId)
            : state.recovered.map((entry) => (entry.job.jobId === action.jobId ? { ...entry, ...action.patch } : entry))
      }
    case 'notice':
      return { ...state, notice: action.notice }
  }
}
