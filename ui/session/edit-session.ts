import { assertNever } from '../../shared/assert-never'
import { ERROR_MESSAGES } from '../../shared/errors'
import { toErrorInfo } from '../../shared/to-error-info'
import { PROMPT_MIN_CHARS } from '../../shared/limits'
import type { PluginToUi } from '../../shared/messages'
import type { EditOptions, Settings } from '../../shared/settings'
import type { RelayClient } from '../../client/relay-client'
import type { PendingPlacement } from '../edit/collect-results-async'
import type { AreaCompositor } from '../image/area-compositor'
import type { ImageResizer } from '../image/fit-for-figma-async'
import type { PluginBridge } from '../plugin/plugin-bridge'
import type { AreaScope, PanelState, Recovered, SelectionMode } from '../state/panel-state'
import { resolveChoice } from '../state/resolve-choice'
import { areaOutputSizes } from '../../shared/area/area-output-sizes'
import { createEditWorkflows, type EditWorkflows } from './edit-workflows'
import { createPanelStore, type PanelStore } from './panel-store'
import { panelViewModel, selectionPlan } from './panel-view-model'

export interface EditSessionDeps {
  bridge: PluginBridge
  /** A client for one relay: the shared one in client/ in the panel, a fake in tests. */
  relayFor: (baseUrl: string, token: string) => RelayClient
  resizeAsync: ImageResizer
  prepareComposite: AreaCompositor
  now: () => number
  sleepAsync: (ms: number, signal: AbortSignal) => Promise<void>
  randomId: () => string
  log: (message: string, detail?: unknown) => void
  /** Runs `callback` after `ms`; returns a function that cancels it. */
  schedule: (callback: () => void, ms: number) => () => void
}

/** The panel's state and everything a designer can do in it; the view only renders and calls these. */
export interface EditSession {
  getState(): PanelState
  subscribe(listener: (state: PanelState) => void): () => void
  /** Listens to the sandbox and tells it the panel is ready; returns a function that stops listening. */
  start(): () => void
  now(): number
  checkConnectionAsync(relayUrl: string, token: string): Promise<void>
  /** Edits the selection with the typed instruction, when it can run. */
  run(): void
  /** Stops the edit under way; false when there is none. */
  cancel(): boolean
  placeAgain(pending: PendingPlacement, name: string): void
  /** Places the result kept when an edit was canceled after it was paid for. */
  placeCanceled(): void
  placeRecovered(entry: Recovered): void
  dismissRecovered(entry: Recovered): void
  setOptions(options: Partial<EditOptions>): void
  saveSettings(settings: Settings): void
  setPrompt(prompt: string, select?: { start: number; end: number }): void
  /** Puts a history entry's prompt back in the field and shows the Edit tab. */
  reusePrompt(prompt: string): void
  show(view: PanelState['view']): void
  setMode(mode: SelectionMode): void
  /** With layers selected inside a frame: edit only their area, or the whole frame. */
  setAreaScope(scope: AreaScope): void
  dismissOutcome(): void
  selectNodes(nodeIds: string[]): void
}

const HEALTH_TIMEOUT_MS = 5000
const SAVE_OPTIONS_DELAY_MS = 400

interface SessionContext {
  deps: EditSessionDeps
  store: PanelStore
  workflows: EditWorkflows
}

const isQuick = ({ store }: SessionContext): boolean => store.getState().launch.command === 'quick'

async function checkConnectionAsync({ deps, store }: SessionContext, relayUrl: string, token: string): Promise<void> {
  store.dispatch({ type: 'connection', connection: { kind: 'checking' } })
  try {
    const relay = deps.relayFor(relayUrl, token)
    const signal = AbortSignal.timeout(HEALTH_TIMEOUT_MS)
    const [health, models] = await Promise.all([relay.healthAsync(signal), relay.modelsAsync(signal)])
    // Today's spend and budget: a nicety, so an older relay without /v1/usage changes nothing.
    const usage =
      health.auth === 'valid'
        ? await relay
            .usageAsync(signal)
            .then((response) => response.owners[0])
            .catch(() => undefined)
        : undefined
    store.dispatch({ type: 'connection', connection: { kind: 'ok', health, models, ...(usage === undefined ? {} : { usage }) } })
  } catch (error) {
    store.dispatch({ type: 'connection', connection: { kind: 'error', error: toErrorInfo(error, 'relay_unreachable') } })
  }
}

/** The relay is checked when the panel opens and again whenever its address or token changes. */
function applySettings(ctx: SessionContext, settings: Settings): void {
  const before = ctx.store.getState().settings
  ctx.store.dispatch({ type: 'settings-saved', settings })
  const changed = settings.relayUrl !== before.relayUrl || settings.token !== before.token
  if (changed && ctx.store.getState().ready && !isQuick(ctx)) void checkConnectionAsync(ctx, settings.relayUrl, settings.token)
}

/** The quick action runs its instruction at once, or closes saying why it cannot. */
function launchQuick({ deps, store, workflows }: SessionContext): void {
  const state = store.getState()
  const instruction = state.launch.instruction?.trim() ?? ''
  const plan = selectionPlan(state, instruction)
  const problem =
    state.settings.token === ''
      ? 'Kontext Edit: open the plugin’s Settings first (relay URL and token).'
      : plan === undefined
        ? ERROR_MESSAGES.nothing_selected
        : instruction.length < PROMPT_MIN_CHARS
          ? 'Kontext Edit: type an instruction of at least 2 characters.'
          : undefined
  if (problem === undefined && plan !== undefined) return void workflows.runAsync(plan)
  deps.bridge.post({ type: 'notify', message: problem ?? ERROR_MESSAGES.nothing_selected, error: true })
  deps.bridge.post({ type: 'close' })
}

/** "New variation" on a result: the same edit on its original source, with a new seed. */
function launchVariation({ store, workflows }: SessionContext): void {
  const state = store.getState()
  const source = state.selection.length === 1 ? state.selection[0]! : undefined
  const result = source?.provenance
  if (source === undefined || result === undefined) return
  store.dispatch({ type: 'prompt', prompt: result.prompt })
  const options: EditOptions = { ...state.settings.options, model: result.model, provider: result.provider, seed: null, numImages: 1 }
  const choice = resolveChoice(state.connection.kind === 'ok' ? state.connection.models : undefined, options)
  // A region result's variation edits the same area of the same frame again.
  const area = result.area
  void workflows.runAsync({
    items: [
      {
        sourceId: result.sourceId,
        name: result.sourceName,
        nodeIds: [result.sourceId],
        frame: { width: source.width, height: source.height },
        ...(area === undefined
          ? {}
          : {
              area: {
                containerId: area.containerId,
                nodeIds: area.nodeIds,
                rect: area.geometry.area,
                label: area.label,
                outputSizes: areaOutputSizes(result.provider, result.model)
              }
            })
      }
    ],
    prompt: result.prompt,
    options,
    capabilities: choice.capabilities,
    provider: result.provider,
    ...(result.parent === undefined ? {} : { parent: result.parent })
  })
}

/** Edits from a panel that closed mid-way: ask the relay, and offer their results. */
function recoverPending({ store, workflows }: SessionContext): void {
  for (const entry of store.getState().recovered.filter((candidate) => candidate.state === 'checking')) {
    store.dispatch({ type: 'recovered', jobId: entry.job.jobId, patch: { state: 'running' } })
    void workflows.recoverAsync(entry)
  }
}

function handleInit(ctx: SessionContext, message: Extract<PluginToUi, { type: 'init' }>): void {
  const { store } = ctx
  const previous = store.getState()
  const launch = { command: message.command, ...(message.instruction === undefined ? {} : { instruction: message.instruction }) }
  store.dispatch({
    type: 'init',
    settings: message.settings,
    selection: message.selection,
    ...(message.area === undefined ? {} : { area: message.area }),
    launch,
    history: message.history,
    pendingJobs: message.pendingJobs
  })
  const { settings } = store.getState()
  const relayChanged = !previous.ready || previous.settings.relayUrl !== settings.relayUrl || previous.settings.token !== settings.token
  if (relayChanged && !isQuick(ctx)) void checkConnectionAsync(ctx, settings.relayUrl, settings.token)
  // A launch command runs once, however often the sandbox says init.
  if (!previous.ready && isQuick(ctx)) launchQuick(ctx)
  if (!previous.ready && launch.command === 'new-variation') launchVariation(ctx)
  recoverPending(ctx)
}

function handleMessage(ctx: SessionContext, message: PluginToUi): void {
  const { store } = ctx
  switch (message.type) {
    case 'init':
      return handleInit(ctx, message)
    case 'selection':
      return store.dispatch({
        type: 'selection',
        selection: message.selection,
        ...(message.area === undefined ? {} : { area: message.area })
      })
    case 'settings-saved':
      return applySettings(ctx, message.settings)
    case 'history':
      return store.dispatch({ type: 'history', history: message.history })
    case 'nodes-selected':
      if (message.found === 0) store.dispatch({ type: 'notice', notice: 'That result is no longer in this file.' })
      return
    case 'exported':
    case 'area-exported':
    case 'export-failed':
    case 'placed':
    case 'place-failed':
      // Replies to requests: the bridge matches them to the request that waits for them.
      return
    default:
      assertNever(message)
  }
}

/**
 * The panel's controller (the UI twin of plugin/controller.ts): it owns the panel state, answers
 * the sandbox's messages, checks the relay, and runs the edit workflows. Platform objects are
 * injected, so it runs in tests without a DOM.
 */
export function createEditSession(deps: EditSessionDeps): EditSession {
  const store = createPanelStore()
  const ctx: SessionContext = { deps, store, workflows: createEditWorkflows(deps, store) }
  const { bridge } = deps
  const { dispatch, getState } = store
  const { workflows } = ctx
  let cancelSave = (): void => undefined

  return {
    getState,
    subscribe: store.subscribe,
    start() {
      const off = bridge.on((message) => handleMessage(ctx, message))
      bridge.post({ type: 'ui-ready' })
      return off
    },
    now: deps.now,
    checkConnectionAsync: (relayUrl, token) => checkConnectionAsync(ctx, relayUrl, token),
    run() {
      const { canRun, plan } = panelViewModel(getState())
      if (canRun && plan !== undefined) void workflows.runAsync(plan)
    },
    cancel: workflows.cancel,
    placeAgain: (pending, name) => void workflows.placeAgainAsync(pending, name),
    placeCanceled() {
      const { phase } = getState()
      if (phase.kind === 'canceled' && phase.pending !== undefined)
        void workflows.placeAgainAsync(phase.pending, phase.pending.images[0]?.provenance.sourceName ?? '')
    },
    placeRecovered: (entry) => void workflows.placeRecoveredAsync(entry),
    dismissRecovered(entry) {
      bridge.post({ type: 'forget-job', jobId: entry.job.jobId })
      dispatch({ type: 'recovered', jobId: entry.job.jobId, patch: undefined })
    },
    setOptions(options) {
      dispatch({ type: 'options', options })
      // Saved once the designer pauses: a slider drag is one write, not dozens.
      const next = getState().settings
      cancelSave()
      cancelSave = deps.schedule(() => bridge.post({ type: 'save-settings', settings: next }), SAVE_OPTIONS_DELAY_MS)
    },
    saveSettings(settings) {
      bridge.post({ type: 'save-settings', settings })
      applySettings(ctx, settings)
      dispatch({ type: 'show', view: 'edit' })
    },
    setPrompt: (prompt, select) => dispatch({ type: 'prompt', prompt, ...(select === undefined ? {} : { select }) }),
    reusePrompt(prompt) {
      dispatch({ type: 'prompt', prompt, select: { start: prompt.length, end: prompt.length } })
      dispatch({ type: 'show', view: 'edit' })
    },
    show: (view) => dispatch({ type: 'show', view }),
    setMode: (mode) => dispatch({ type: 'mode', mode }),
    setAreaScope: (scope) => dispatch({ type: 'area-scope', scope }),
    dismissOutcome: () => dispatch({ type: 'dismiss' }),
    selectNodes(nodeIds) {
      if (nodeIds.length > 0) bridge.post({ type: 'select-nodes', nodeIds })
    }
  }
}
