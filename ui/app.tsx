import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'preact/hooks'
import { AppError, ERROR_MESSAGES, toErrorInfo } from '../shared/errors'
import { PROMPT_MAX_CHARS, PROMPT_MIN_CHARS } from '../shared/limits'
import { estimateCostUsd } from '../shared/models'
import type { EditOptions, Settings } from '../shared/settings'
import { OptionsPanel } from './components/options-panel'
import { OutcomePanel } from './components/outcome-panel'
import { ProgressPanel } from './components/progress-panel'
import { PromptBox } from './components/prompt-box'
import { SelectionCard } from './components/selection-card'
import { SettingsView } from './components/settings-view'
import { placePendingAsync, produceResultsAsync, type EditDeps, type PendingPlacement } from './edit/run-edit-async'
import { formatUsd } from './format'
import type { ImageResizer } from './image/fit-for-figma-async'
import { createPluginBridge, type PluginPort } from './plugin/plugin-bridge'
import { createRelayClient } from './relay/relay-client'
import { INITIAL_STATE, panelReducer } from './state/panel-state'
import { resolveChoice } from './state/resolve-choice'

export interface AppDeps {
  port: PluginPort
  fetch: typeof fetch
  resize: ImageResizer
  now: () => number
  sleepAsync: (ms: number, signal: AbortSignal) => Promise<void>
  randomId: () => string
  log: (message: string, detail?: unknown) => void
}

const HEALTH_TIMEOUT_MS = 5000
const SAVE_OPTIONS_DELAY_MS = 400

export function App({ deps }: { deps: AppDeps }) {
  const [state, dispatch] = useReducer(panelReducer, INITIAL_STATE)
  const [now, setNow] = useState(deps.now())
  const bridge = useMemo(() => createPluginBridge(deps.port, deps.log), [deps])
  const running = useRef<AbortController | undefined>(undefined)
  const saveTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const { settings, phase } = state

  useEffect(() => {
    const off = bridge.on((message) => {
      if (message.type === 'init') dispatch({ type: 'init', settings: message.settings, selection: message.selection })
      if (message.type === 'selection') dispatch({ type: 'selection', selection: message.selection })
      if (message.type === 'settings-saved') dispatch({ type: 'settings-saved', settings: message.settings })
    })
    bridge.post({ type: 'ui-ready' })
    return off
  }, [bridge])

  const checkConnection = useCallback(
    async (relayUrl: string, token: string) => {
      dispatch({ type: 'connection', connection: { kind: 'checking' } })
      try {
        const relay = createRelayClient({ baseUrl: relayUrl, token, fetch: deps.fetch })
        const signal = AbortSignal.timeout(HEALTH_TIMEOUT_MS)
        const [health, models] = await Promise.all([relay.healthAsync(signal), relay.modelsAsync(signal)])
        dispatch({ type: 'connection', connection: { kind: 'ok', health, models } })
      } catch (error) {
        dispatch({ type: 'connection', connection: { kind: 'error', error: toErrorInfo(error, 'relay_unreachable') } })
      }
    },
    [deps]
  )

  useEffect(() => {
    if (state.ready) void checkConnection(settings.relayUrl, settings.token)
  }, [state.ready, settings.relayUrl, settings.token, checkConnection])

  useEffect(() => {
    if (phase.kind !== 'running') return
    const timer = setInterval(() => setNow(deps.now()), 250)
    return () => clearInterval(timer)
  }, [phase.kind, deps])

  const cancel = useCallback(() => {
    if (running.current === undefined) return
    dispatch({ type: 'cancel-requested' })
    running.current.abort(new AppError('canceled'))
  }, [])

  useEffect(() => {
    function handleKey(event: KeyboardEvent): void {
      if (event.key === 'Escape' && running.current !== undefined) {
        event.preventDefault()
        cancel()
      }
    }
    window.addEventListener('keydown', handleKey)
    return () => window.removeEventListener('keydown', handleKey)
  }, [cancel])

  function editDeps(): EditDeps {
    return {
      plugin: bridge,
      relay: createRelayClient({ baseUrl: settings.relayUrl, token: settings.token, fetch: deps.fetch }),
      resize: deps.resize,
      sleepAsync: deps.sleepAsync,
      now: deps.now,
      onProgress: (progress) => dispatch({ type: 'progress', progress, now: deps.now() })
    }
  }

  async function place(pending: PendingPlacement, controller: AbortController, edit: EditDeps): Promise<void> {
    try {
      const placed = await placePendingAsync(pending, edit, controller.signal)
      dispatch({ type: 'succeeded', job: pending.job, ...placed, now: deps.now() })
    } catch (error) {
      if (error instanceof AppError && error.code === 'canceled') return dispatch({ type: 'canceled', pending })
      dispatch({ type: 'failed', error: toErrorInfo(error, 'place_failed'), pending })
    }
  }

  async function run(): Promise<void> {
    if (running.current !== undefined || !canRun) return
    const controller = new AbortController()
    running.current = controller
    try {
      const requestId = deps.randomId()
      dispatch({ type: 'started', requestId, now: deps.now() })
      const edit = editDeps()
      const input = { requestId, prompt: state.prompt.trim(), options: settings.options, capabilities: choice.capabilities, provider: choice.explicitHost }
      const pending = await produceResultsAsync(input, edit, controller.signal)
      await place(pending, controller, edit)
    } catch (error) {
      if (controller.signal.aborted) dispatch({ type: 'canceled' })
      else {
        deps.log('edit failed', error)
        dispatch({ type: 'failed', error: toErrorInfo(error, 'provider_error') })
      }
    } finally {
      running.current = undefined
    }
  }

  async function placeAgain(): Promise<void> {
    if ((phase.kind !== 'failed' && phase.kind !== 'canceled') || phase.pending === undefined || running.current !== undefined) return
    const controller = new AbortController()
    running.current = controller
    const pending = { ...phase.pending, requestId: deps.randomId() }
    dispatch({ type: 'started', requestId: pending.requestId, now: deps.now() })
    try {
      await place(pending, controller, editDeps())
    } finally {
      running.current = undefined
    }
  }

  function saveSettings(next: Settings): void {
    bridge.post({ type: 'save-settings', settings: next })
  }

  function handleOptions(options: Partial<EditOptions>): void {
    dispatch({ type: 'options', options })
    const next = { ...settings, options: { ...settings.options, ...options } }
    clearTimeout(saveTimer.current)
    saveTimer.current = setTimeout(() => saveSettings(next), SAVE_OPTIONS_DELAY_MS)
  }

  const connection = state.connection
  const choice = resolveChoice(connection.kind === 'ok' ? connection.models : undefined, settings.options)
  const maxReferences = choice.capabilities.maxReferences
  const promptLength = state.prompt.trim().length
  const editable = state.selection.filter((item) => item.problem === undefined)
  const canRun =
    phase.kind !== 'running' &&
    promptLength >= PROMPT_MIN_CHARS &&
    promptLength <= PROMPT_MAX_CHARS &&
    editable.length > 0 &&
    editable.length === state.selection.length &&
    state.selection.length <= maxReferences
  const variants = Math.min(settings.options.numImages, choice.capabilities.maxVariants)
  const cost = estimateCostUsd(choice.capabilities.priceUsd, variants)

  if (!state.ready) return <main class="app loading">Loading…</main>

  return (
    <main class="app">
      <header class="topbar">
        <h1>{state.view === 'settings' ? 'Settings' : 'Kontext Edit'}</h1>
        {state.view === 'edit' && (
          <button type="button" class="icon" aria-label="Settings" title="Settings" onClick={() => dispatch({ type: 'show', view: 'settings' })}>
            ⚙
          </button>
        )}
      </header>
      {state.view === 'settings' ? (
        <SettingsView
          settings={settings}
          connection={connection}
          onSave={(next) => {
            saveSettings(next)
            dispatch({ type: 'settings-saved', settings: next })
            dispatch({ type: 'show', view: 'edit' })
          }}
          onTest={(relayUrl, token) => void checkConnection(relayUrl, token)}
          onBack={() => dispatch({ type: 'show', view: 'edit' })}
        />
      ) : (
        <div class="edit">
          <SelectionCard selection={state.selection} maxReferences={maxReferences} />
          <PromptBox value={state.prompt} disabled={phase.kind === 'running'} onInput={(prompt) => dispatch({ type: 'prompt', prompt })} onSubmit={() => void run()} />
          <OptionsPanel options={settings.options} choice={choice} disabled={phase.kind === 'running'} onChange={handleOptions} />
          {phase.kind === 'running' ? (
            <ProgressPanel phase={phase} now={now} onCancel={cancel} />
          ) : (
            <div class="runbar">
              <span class="muted">
                {choice.capabilities.name} · {cost === 0 ? 'no per-image fee' : `about ${formatUsd(cost)}`}
              </span>
              <button type="button" class="primary" disabled={!canRun} onClick={() => void run()}>
                {variants === 1 ? 'Edit' : `Edit · ${variants} variants`}
              </button>
            </div>
          )}
          {(phase.kind === 'done' || phase.kind === 'failed' || phase.kind === 'canceled') && (
            <OutcomePanel
              phase={phase}
              onDismiss={() => dispatch({ type: 'dismiss' })}
              onOpenSettings={() => dispatch({ type: 'show', view: 'settings' })}
              onPlaceAgain={() => void placeAgain()}
            />
          )}
          {connection.kind === 'error' && phase.kind === 'idle' && (
            <p class="status danger" role="status">
              {connection.error.code === 'relay_unreachable' ? ERROR_MESSAGES.relay_unreachable : connection.error.message}
            </p>
          )}
        </div>
      )}
    </main>
  )
}
