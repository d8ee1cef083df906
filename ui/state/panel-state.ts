import type { ErrorInfo } from '../../shared/errors'
import type { SelectionItem } from '../../shared/messages'
import type { EditJob, Health, ModelsResponse } from '../../shared/relay-api'
import { DEFAULT_SETTINGS, type EditOptions, type Settings } from '../../shared/settings'
import type { EditProgress, PendingPlacement } from '../edit/run-edit-async'

export type Phase =
  | { kind: 'idle' }
  | { kind: 'running'; requestId: string; startedAt: number; stageStartedAt: number; progress: EditProgress; canceling: boolean }
  | { kind: 'done'; job: EditJob; nodeIds: string[]; besideSource: boolean; elapsedMs: number }
  | { kind: 'failed'; error: ErrorInfo; pending: PendingPlacement | undefined }
  /** `pending` when the edit was canceled after it was paid for: the result can still be placed. */
  | { kind: 'canceled'; pending: PendingPlacement | undefined }

export type Connection =
  | { kind: 'unknown' }
  | { kind: 'checking' }
  | { kind: 'ok'; health: Health; models: ModelsResponse }
  | { kind: 'error'; error: ErrorInfo }

export interface PanelState {
  ready: boolean
  view: 'edit' | 'settings'
  settings: Settings
  selection: SelectionItem[]
  prompt: string
  phase: Phase
  connection: Connection
}

export type PanelAction =
  | { type: 'init'; settings: Settings; selection: SelectionItem[] }
  | { type: 'selection'; selection: SelectionItem[] }
  | { type: 'settings-saved'; settings: Settings }
  | { type: 'show'; view: PanelState['view'] }
  | { type: 'prompt'; prompt: string }
  | { type: 'options'; options: Partial<EditOptions> }
  | { type: 'started'; requestId: string; now: number }
  | { type: 'progress'; progress: EditProgress; now: number }
  | { type: 'cancel-requested' }
  | { type: 'succeeded'; job: EditJob; nodeIds: string[]; besideSource: boolean; now: number }
  | { type: 'failed'; error: ErrorInfo; pending?: PendingPlacement }
  | { type: 'canceled'; pending?: PendingPlacement }
  | { type: 'dismiss' }
  | { type: 'connection'; connection: Connection }

export const INITIAL_STATE: PanelState = {
  ready: false,
  view: 'edit',
  settings: DEFAULT_SETTINGS,
  selection: [],
  prompt: '',
  phase: { kind: 'idle' },
  connection: { kind: 'unknown' }
}

export function panelReducer(state: PanelState, action: PanelAction): PanelState {
  switch (action.type) {
    case 'init':
      return { ...state, ready: true, settings: action.settings, selection: action.selection, view: action.settings.token === '' ? 'settings' : 'edit' }
    case 'selection':
      return { ...state, selection: action.selection }
    case 'settings-saved':
      return { ...state, settings: action.settings }
    case 'show':
      return { ...state, view: action.view }
    case 'prompt':
      return { ...state, prompt: action.prompt }
    case 'options':
      return { ...state, settings: { ...state.settings, options: { ...state.settings.options, ...action.options } } }
    case 'started':
      return {
        ...state,
        phase: { kind: 'running', requestId: action.requestId, startedAt: action.now, stageStartedAt: action.now, progress: { stage: 'exporting' }, canceling: false }
      }
    case 'progress': {
      if (state.phase.kind !== 'running') return state
      const stageChanged = state.phase.progress.stage !== action.progress.stage
      return { ...state, phase: { ...state.phase, progress: action.progress, stageStartedAt: stageChanged ? action.now : state.phase.stageStartedAt } }
    }
    case 'cancel-requested':
      return state.phase.kind === 'running' ? { ...state, phase: { ...state.phase, canceling: true } } : state
    case 'succeeded': {
      const startedAt = state.phase.kind === 'running' ? state.phase.startedAt : action.now
      return { ...state, phase: { kind: 'done', job: action.job, nodeIds: action.nodeIds, besideSource: action.besideSource, elapsedMs: action.now - startedAt } }
    }
    case 'failed':
      return { ...state, phase: { kind: 'failed', error: action.error, pending: action.pending } }
    case 'canceled':
      return { ...state, phase: { kind: 'canceled', pending: action.pending } }
    case 'dismiss':
      return { ...state, phase: { kind: 'idle' } }
    case 'connection':
      return { ...state, connection: action.connection }
  }
}
