import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'preact/hooks'
import { AppError, ERROR_MESSAGES, toErrorInfo } from '../shared/errors'
import { PROMPT_MAX_CHARS, PROMPT_MIN_CHARS } from '../shared/limits'
import type { PendingJob } from '../shared/messages'
import { estimateCostUsd } from '../shared/models'
import { fillPreset, replaceTextInstruction } from '../shared/presets'
import type { EditOptions, Settings } from '../shared/settings'
import { HistoryView } from './components/history-view'
import { OptionsPanel } from './components/options-panel'
import { OutcomePanel } from './components/outcome-panel'
import { PresetChips } from './components/preset-chips'
import { ProgressPanel } from './components/progress-panel'
import { PromptBox } from './components/prompt-box'
import { RecoveredCard } from './components/recovered-card'
import { SelectionCard } from './components/selection-card'
import { SettingsView } from './components/settings-view'
import { TypographyHelper } from './components/typography-helper'
import { collectResultsAsync, placePendingAsync, type EditDeps, type PendingPlacement, type ResultContext } from './edit/run-edit-async'
import { runPlanAsync, type Plan, type PlanItem } from './edit/run-plan-async'
import { formatUsd } from './format'
import type { ImageResizer } from './image/fit-for-figma-async'
import { createPluginBridge, type PluginPort } from './plugin/plugin-bridge'
import { createRelayClient } from './relay/relay-client'
import { waitForEditAsync } from './relay/wait-for-edit-async'
import { INITIAL_STATE, panelReducer, type ItemState, type PanelState, type Recovered } from './state/panel-state'
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

/** Distinct text layers across the selection, in reading order. */
function textsOf(state: PanelState): Array<{ id: string; characters: string }> {
  const unique = new Map<string, { id: string; characters: string }>()
  for (const text of state.selection.flatMap((item) => item.texts)) if (!unique.has(text.characters)) unique.set(text.characters, text)
  return [...unique.values()]
}

export function App({ deps }: { deps: AppDeps }) {
  const [state, dispatch] = useReducer(panelReducer, INITIAL_STATE)
  const [now, setNow] = useState(deps.now())
  const bridge = useMemo(() => createPluginBridge(deps.port, deps.log), [deps])
  const running = useRef<AbortController | undefined>(undefined)
  const saveTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const launched = useRef(false)
  const { settings, phase } = state
  const quick = state.launch.command === 'quick'

  useEffect(() => {
    const off = bridge.on((message) => {
      if (message.type === 'init') {
        dispatch({
          type: 'init',
          settings: message.settings,
          selection: message.selection,
          launch: { command: message.command, ...(message.instruction === undefined ? {} : { instruction: message.instruction }) },
          history: message.history,
          pendingJobs: message.pendingJobs
        })
      }
      if (message.type === 'selection') dispatch({ type: 'selection', selection: message.selection })
      if (message.type === 'settings-saved') dispatch({ type: 'settings-saved', settings: message.settings })
      if (message.type === 'history') dispatch({ type: 'history', history: message.history })
      if (message.type === 'nodes-selected' && message.found === 0) dispatch({ type: 'notice', notice: 'That result is no longer in this file.' })
    })
    bridge.post({ type: 'ui-ready' })
    return off
  }, [bridge])

  const relayFor = useCallback((s: Settings) => createRelayClient({ baseUrl: s.relayUrl, token: s.token, fetch: deps.fetch }), [deps])

  const checkConnection = useCallback(
    async (relayUrl: string, token: string) => {
      dispatch({ type: 'connection', connection: { kind: 'checking' } })
      try {
        const relay = createRelayClient({ baseUrl: relayUrl, token, fetch: deps.fetch })
        const signal = AbortSignal.timeout(HEALTH_TIMEOUT_MS)
        const [health, models] = await Promise.all([relay.healthAsync(signal), relay.modelsAsync(signal)])
        // Today's spend and budget: a nicety, so an older relay without /v1/usage changes nothing.
        const usage = health.auth === 'valid' ? await relay.usageAsync(signal).then((response) => response.owners[0]).catch(() => undefined) : undefined
        dispatch({ type: 'connection', connection: { kind: 'ok', health, models, ...(usage === undefined ? {} : { usage }) } })
      } catch (error) {
        dispatch({ type: 'connection', connection: { kind: 'error', error: toErrorInfo(error, 'relay_unreachable') } })
      }
    },
    [deps]
  )

  useEffect(() => {
    if (state.ready && !quick) void checkConnection(settings.relayUrl, settings.token)
  }, [state.ready, settings.relayUrl, settings.token, checkConnection, quick])

  useEffect(() => {
    if (phase.kind !== 'running' && state.view !== 'history') return
    const timer = setInterval(() => setNow(deps.now()), phase.kind === 'running' ? 250 : 30_000)
    return () => clearInterval(timer)
  }, [phase.kind, state.view, deps])

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
      relay: relayFor(settings),
      resize: deps.resize,
      sleepAsync: deps.sleepAsync,
      now: deps.now,
      onProgress: () => undefined
    }
  }

  function rememberJob(jobId: string, context: ResultContext): void {
    const job: PendingJob = {
      jobId,
      relayUrl: settings.relayUrl,
      sourceId: context.sourceId,
      sourceName: context.sourceName,
      prompt: context.prompt,
      options: context.options,
      createdAt: new Date(deps.now()).toISOString(),
      ...(context.parent === undefined ? {} : { parent: context.parent })
    }
    bridge.post({ type: 'remember-job', job })
  }

  function recordPlaced(pending: PendingPlacement, nodeIds: string[], elapsedMs: number): void {
    bridge.post({ type: 'forget-job', jobId: pending.job.id })
    const first = pending.images[0]?.provenance
    bridge.post({
      type: 'add-history',
      entry: {
        jobId: pending.job.id,
        prompt: first?.prompt ?? '',
        provider: pending.job.provider,
        model: pending.job.model,
        ...(first?.seed === undefined ? {} : { seed: first.seed }),
        ...(pending.job.cost === undefined ? {} : { costUsd: pending.job.cost }),
        elapsedMs,
        createdAt: new Date(deps.now()).toISOString(),
        sourceName: first?.sourceName ?? '',
        nodeIds
      }
    })
  }

  function notifyQuick(message: string, error = false): void {
    if (quick) bridge.post({ type: 'notify', message, error })
  }

  async function runPlan(plan: Plan): Promise<void> {
    if (running.current !== undefined) return
    const controller = new AbortController()
    running.current = controller
    const startedAt = deps.now()
    const items: ItemState[] = plan.items.map((item) => ({ sourceId: item.sourceId, name: item.name, stage: 'waiting', stageStartedAt: startedAt }))
    let lastStage = ''
    try {
      dispatch({ type: 'started', items: plan.items, now: startedAt })
      notifyQuick(`Kontext Edit: editing ${plan.items.length === 1 ? `“${plan.items[0]!.name}”` : `${plan.items.length} frames`}…`)
      const outcome = await runPlanAsync(
        plan,
        () => editDeps(),
        {
          onItem: (index, patch) => {
            items[index] = { ...items[index]!, ...patch }
            dispatch({ type: 'item', index, patch, now: deps.now() })
            if (quick && patch.stage === 'generating' && lastStage !== 'generating') notifyQuick('Kontext Edit: generating…')
            lastStage = patch.stage ?? lastStage
          },
          onJobCreated: rememberJob,
          onPlaced: (pending, nodeIds) => recordPlaced(pending, nodeIds, deps.now() - startedAt)
        },
        controller.signal,
        deps.randomId
      )
      if (controller.signal.aborted) {
        dispatch({ type: 'canceled', pending: items.find((item) => item.pending !== undefined)?.pending })
        return notifyQuick('Kontext Edit: canceled.')
      }
      dispatch({ type: 'finished', now: deps.now(), besideSource: outcome.besideSource })
      if (quick) {
        const failed = items.filter((item) => item.stage === 'failed')
        if (failed.length > 0) notifyQuick(failed[0]!.error?.message ?? ERROR_MESSAGES.provider_error, true)
        const placed = items.length - failed.length
        bridge.post({ type: 'close', ...(placed > 0 ? { message: placed === 1 ? `Kontext Edit: result placed beside “${items[0]!.name}”` : `Kontext Edit: ${placed} results placed` } : {}) })
      }
    } catch (error) {
      deps.log('edit failed', error)
      dispatch({ type: 'item', index: 0, patch: { stage: 'failed', error: toErrorInfo(error, 'provider_error') }, now: deps.now() })
      dispatch({ type: 'finished', now: deps.now(), besideSource: true })
      if (quick) {
        notifyQuick(toErrorInfo(error, 'provider_error').message, true)
        bridge.post({ type: 'close' })
      }
    } finally {
      running.current = undefined
    }
  }

  const connection = state.connection
  const choice = resolveChoice(connection.kind === 'ok' ? connection.models : undefined, settings.options)
  const maxReferences = choice.capabilities.maxReferences
  const editable = state.selection.filter((item) => item.problem === undefined)
  const mode = state.selection.length > 1 ? (state.mode === 'together' && state.selection.length <= maxReferences ? 'together' : 'each') : 'single'
  const frames = mode === 'each' ? editable.length : 1
  const variants = Math.min(settings.options.numImages, choice.capabilities.maxVariants)
  const cost = estimateCostUsd(choice.capabilities.priceUsd, variants * frames)
  const remaining = connection.kind === 'ok' ? (connection.usage?.remainingUsd ?? null) : null

  function planFor(prompt: string, options: EditOptions): Plan | undefined {
    if (editable.length === 0 || editable.length !== state.selection.length) return undefined
    const toItem = (item: (typeof editable)[number], nodeIds: string[] | undefined): PlanItem => ({ sourceId: item.id, name: item.name, nodeIds, frame: { width: item.width, height: item.height } })
    const items = mode === 'each' ? editable.map((item) => toItem(item, [item.id])) : [toItem(editable[0]!, undefined)]
    const first = editable[0]!
    // Editing a result again: the new result's provenance points back to it.
    const parent = editable.length === 1 && first.provenance !== undefined ? { nodeId: first.id, relayJobId: first.provenance.relayJobId } : undefined
    return { items, prompt, options, capabilities: choice.capabilities, provider: choice.explicitHost, ...(parent === undefined ? {} : { parent }) }
  }

  const promptLength = state.prompt.trim().length
  const plan = planFor(state.prompt.trim(), settings.options)
  const canRun = phase.kind !== 'running' && promptLength >= PROMPT_MIN_CHARS && promptLength <= PROMPT_MAX_CHARS && plan !== undefined

  function run(): void {
    if (canRun && plan !== undefined) void runPlan(plan)
  }

  // Launch commands run once the panel knows its selection: the quick action runs its
  // instruction; "New variation" re-runs a result's edit on its original source with a new seed.
  useEffect(() => {
    if (!state.ready || launched.current) return
    launched.current = true
    if (quick) {
      const instruction = state.launch.instruction?.trim() ?? ''
      const quickPlan = planFor(instruction, settings.options)
      if (settings.token === '') {
        notifyQuick('Kontext Edit: open the plugin’s Settings first (relay URL and token).', true)
        bridge.post({ type: 'close' })
      } else if (quickPlan === undefined || instruction.length < PROMPT_MIN_CHARS) {
        notifyQuick(quickPlan === undefined ? ERROR_MESSAGES.nothing_selected : 'Kontext Edit: type an instruction of at least 2 characters.', true)
        bridge.post({ type: 'close' })
      } else void runPlan(quickPlan)
      return
    }
    const result = state.selection.length === 1 ? state.selection[0]!.provenance : undefined
    if (state.launch.command === 'new-variation' && result !== undefined) {
      dispatch({ type: 'prompt', prompt: result.prompt })
      const options: EditOptions = { ...settings.options, model: result.model, provider: result.provider, seed: null, numImages: 1 }
      const variationChoice = resolveChoice(connection.kind === 'ok' ? connection.models : undefined, options)
      void runPlan({
        items: [{ sourceId: result.sourceId, name: result.sourceName, nodeIds: [result.sourceId], frame: { width: state.selection[0]!.width, height: state.selection[0]!.height } }],
        prompt: result.prompt,
        options,
        capabilities: variationChoice.capabilities,
        provider: result.provider,
        ...(result.parent === undefined ? {} : { parent: result.parent })
      })
    }
  }, [state.ready])

  // Edits from a panel that closed mid-way: ask the relay, and offer their results.
  useEffect(() => {
    for (const entry of state.recovered.filter((candidate) => candidate.state === 'checking')) {
      dispatch({ type: 'recovered', jobId: entry.job.jobId, patch: { state: 'running' } })
      void recoverAsync(entry)
    }
  }, [state.recovered.length])

  async function recoverAsync(entry: Recovered): Promise<void> {
    const job = entry.job
    const relay = createRelayClient({ baseUrl: job.relayUrl, token: settings.token, fetch: deps.fetch })
    try {
      const finished = await waitForEditAsync(relay, job.jobId, { signal: new AbortController().signal, sleepAsync: deps.sleepAsync, now: deps.now })
      if (finished.status !== 'succeeded') throw new AppError(finished.error?.code ?? 'provider_error')
      const context: ResultContext = { requestId: deps.randomId(), prompt: job.prompt, sourceId: job.sourceId, sourceName: job.sourceName, options: job.options, ...(job.parent === undefined ? {} : { parent: job.parent }) }
      const pending = await collectResultsAsync(finished, context, { ...editDeps(), relay }, new AbortController().signal)
      dispatch({ type: 'recovered', jobId: job.jobId, patch: { state: 'ready', pending } })
    } catch (error) {
      bridge.post({ type: 'forget-job', jobId: job.jobId })
      dispatch({ type: 'recovered', jobId: job.jobId, patch: undefined })
      const info = toErrorInfo(error, 'provider_error')
      dispatch({ type: 'notice', notice: info.code === 'not_found' ? 'An earlier edit expired on the relay before it could be placed.' : `An earlier edit did not finish: ${info.message}` })
    }
  }

  async function placeRecovered(entry: Recovered): Promise<void> {
    if (entry.pending === undefined) return
    dispatch({ type: 'recovered', jobId: entry.job.jobId, patch: { state: 'placing' } })
    try {
      const placed = await placePendingAsync(entry.pending, editDeps(), new AbortController().signal)
      recordPlaced(entry.pending, placed.nodeIds, 0)
      dispatch({ type: 'recovered', jobId: entry.job.jobId, patch: undefined })
    } catch (error) {
      dispatch({ type: 'recovered', jobId: entry.job.jobId, patch: { state: 'ready' } })
      dispatch({ type: 'notice', notice: toErrorInfo(error, 'place_failed').message })
    }
  }

  async function placeAgain(pending: PendingPlacement, name: string): Promise<void> {
    if (running.current !== undefined) return
    const controller = new AbortController()
    running.current = controller
    const retry = { ...pending, requestId: deps.randomId() }
    const startedAt = deps.now()
    dispatch({ type: 'started', items: [{ sourceId: retry.sourceId, name }], now: startedAt })
    try {
      dispatch({ type: 'item', index: 0, patch: { stage: 'placing' }, now: startedAt })
      const placed = await placePendingAsync(retry, editDeps(), controller.signal)
      recordPlaced(retry, placed.nodeIds, deps.now() - startedAt)
      dispatch({ type: 'item', index: 0, patch: { stage: 'done', nodeIds: placed.nodeIds, ...(retry.job.cost === undefined ? {} : { costUsd: retry.job.cost }) }, now: deps.now() })
      dispatch({ type: 'finished', now: deps.now(), besideSource: placed.besideSource })
    } catch (error) {
      dispatch({ type: 'item', index: 0, patch: { stage: 'failed', error: toErrorInfo(error, 'place_failed'), pending: retry }, now: deps.now() })
      dispatch({ type: 'finished', now: deps.now(), besideSource: true })
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

  function insert(filled: { text: string; selectStart: number; selectEnd: number }): void {
    dispatch({ type: 'prompt', prompt: filled.text, select: { start: filled.selectStart, end: filled.selectEnd } })
  }

  function selectNodes(nodeIds: string[]): void {
    if (nodeIds.length > 0) bridge.post({ type: 'select-nodes', nodeIds })
  }

  if (!state.ready) return <main class="app loading">Loading…</main>
  if (quick) return <main class="app loading">Kontext Edit quick action</main>
  const busy = phase.kind === 'running'

  return (
    <main class="app">
      <header class="topbar">
        {state.view === 'settings' ? (
          <h1>Settings</h1>
        ) : (
          <div class="tabs" role="tablist" aria-label="Views">
            <button type="button" role="tab" class="tab" aria-selected={state.view === 'edit'} onClick={() => dispatch({ type: 'show', view: 'edit' })}>
              Edit
            </button>
            <button type="button" role="tab" class="tab" aria-selected={state.view === 'history'} onClick={() => dispatch({ type: 'show', view: 'history' })}>
              History{state.history.length > 0 ? ` (${state.history.length})` : ''}
            </button>
          </div>
        )}
        {state.view !== 'settings' && (
          <button type="button" class="icon" aria-label="Settings" title="Settings" onClick={() => dispatch({ type: 'show', view: 'settings' })}>
            ⚙
          </button>
        )}
      </header>
      {state.view === 'settings' && (
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
      )}
      {state.view === 'history' && (
        <div class="edit">
          <HistoryView
            history={state.history}
            now={now}
            onUsePrompt={(prompt) => {
              dispatch({ type: 'prompt', prompt, select: { start: prompt.length, end: prompt.length } })
              dispatch({ type: 'show', view: 'edit' })
            }}
            onSelect={selectNodes}
          />
          {state.notice !== undefined && (
            <p class="status danger" role="status">
              {state.notice}
            </p>
          )}
        </div>
      )}
      {state.view === 'edit' && (
        <div class="edit">
          <RecoveredCard
            recovered={state.recovered}
            disabled={busy}
            onPlace={(entry) => void placeRecovered(entry)}
            onDismiss={(entry) => {
              bridge.post({ type: 'forget-job', jobId: entry.job.jobId })
              dispatch({ type: 'recovered', jobId: entry.job.jobId, patch: undefined })
            }}
          />
          <SelectionCard selection={state.selection} mode={state.mode} maxReferences={maxReferences} disabled={busy} onMode={(next) => dispatch({ type: 'mode', mode: next })} />
          <TypographyHelper texts={textsOf(state)} prompt={state.prompt} disabled={busy} onPick={(characters) => insert(replaceTextInstruction(characters))} />
          <PresetChips disabled={busy} onPick={(template) => insert(fillPreset(template))} />
          <PromptBox value={state.prompt} disabled={busy} selection={state.promptSelection} onInput={(prompt) => dispatch({ type: 'prompt', prompt })} onSubmit={run} />
          <OptionsPanel options={settings.options} choice={choice} disabled={busy} onChange={handleOptions} />
          {phase.kind === 'running' ? (
            <ProgressPanel phase={phase} now={now} onCancel={cancel} />
          ) : (
            <div class="runbar">
              <span class="muted">
                {choice.capabilities.name} · {cost === 0 ? 'no per-image fee' : `about ${formatUsd(cost)}`}
                {remaining !== null && remaining < cost ? ` · only ${formatUsd(remaining)} of today’s budget left` : ''}
              </span>
              <button type="button" class="primary" disabled={!canRun} onClick={run}>
                {frames > 1 ? `Edit ${frames} frames` : variants === 1 ? 'Edit' : `Edit · ${variants} variants`}
              </button>
            </div>
          )}
          {(phase.kind === 'finished' || phase.kind === 'canceled') && (
            <OutcomePanel
              phase={phase}
              onDismiss={() => dispatch({ type: 'dismiss' })}
              onOpenSettings={() => dispatch({ type: 'show', view: 'settings' })}
              onPlaceAgain={(item) => item.pending !== undefined && void placeAgain(item.pending, item.name)}
              onPlaceCanceled={() => phase.kind === 'canceled' && phase.pending !== undefined && void placeAgain(phase.pending, phase.pending.images[0]?.provenance.sourceName ?? '')}
              onSelect={selectNodes}
            />
          )}
          {state.notice !== undefined && (
            <p class="status danger" role="status">
              {state.notice}
            </p>
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
