import { ERROR_MESSAGES } from '../shared/errors'
import { fillPreset, replaceTextInstruction } from '../shared/presets'
import { HistoryView } from './components/history-view'
import { OptionsPanel } from './components/options-panel'
import { OutcomePanel } from './components/outcome-panel'
import { PresetChips } from './components/preset-chips'
import { ProgressPanel } from './components/progress-panel'
import { PromptBox } from './components/prompt-box'
import { RecoveredCard } from './components/recovered-card'
import { RunBar } from './components/run-bar'
import { SelectionCard } from './components/selection-card'
import { SettingsView } from './components/settings-view'
import { StatusNotice } from './components/status-notice'
import { TopBar } from './components/top-bar'
import { TypographyHelper } from './components/typography-helper'
import { useEditSession } from './hooks/use-edit-session'
import { useEscapeToCancel } from './hooks/use-escape-to-cancel'
import { useNow } from './hooks/use-now'
import type { EditSession } from './session/edit-session'
import { panelViewModel } from './session/panel-view-model'

export interface AppProps {
  session: EditSession
}

/** Elapsed seconds tick while an edit runs; History's relative times now and then. */
const TICK_RUNNING_MS = 250
const TICK_HISTORY_MS = 30_000

/** The panel: renders the session's state and hands every action to it. */
export function App({ session }: AppProps) {
  const state = useEditSession(session)
  const { settings, phase, connection } = state
  const now = useNow(session.now, phase.kind === 'running' ? TICK_RUNNING_MS : state.view === 'history' ? TICK_HISTORY_MS : undefined)
  useEscapeToCancel(session.cancel)

  if (!state.ready) return <main class="app loading">Loading…</main>
  if (state.launch.command === 'quick') return <main class="app loading">Kontext Edit quick action</main>
  const view = panelViewModel(state)
  const busy = phase.kind === 'running'
  const insert = (filled: { text: string; selectStart: number; selectEnd: number }): void => session.setPrompt(filled.text, { start: filled.selectStart, end: filled.selectEnd })

  return (
    <main class="app">
      <TopBar view={state.view} historyCount={state.history.length} onShow={session.show} />
      {state.view === 'settings' && (
        <SettingsView
          settings={settings}
          connection={connection}
          onSave={session.saveSettings}
          onTest={(relayUrl, token) => void session.checkConnectionAsync(relayUrl, token)}
          onBack={() => session.show('edit')}
        />
      )}
      {state.view === 'history' && (
        <div class="edit">
          <HistoryView history={state.history} now={now} onUsePrompt={session.reusePrompt} onSelect={session.selectNodes} />
          <StatusNotice text={state.notice} />
        </div>
      )}
      {state.view === 'edit' && (
        <div class="edit">
          <RecoveredCard recovered={state.recovered} disabled={busy} onPlace={session.placeRecovered} onDismiss={session.dismissRecovered} />
          <SelectionCard selection={state.selection} mode={state.mode} maxReferences={view.maxReferences} disabled={busy} onMode={session.setMode} />
          <TypographyHelper texts={view.texts} prompt={state.prompt} disabled={busy} onPick={(characters) => insert(replaceTextInstruction(characters))} />
          <PresetChips disabled={busy} onPick={(template) => insert(fillPreset(template))} />
          <PromptBox value={state.prompt} disabled={busy} selection={state.promptSelection} onInput={(prompt) => session.setPrompt(prompt)} onSubmit={session.run} />
          <OptionsPanel options={settings.options} choice={view.choice} disabled={busy} onChange={session.setOptions} />
          {phase.kind === 'running' ? (
            <ProgressPanel phase={phase} now={now} onCancel={session.cancel} />
          ) : (
            <RunBar modelName={view.choice.capabilities.name} cost={view.cost} remaining={view.remaining} frames={view.frames} variants={view.variants} canRun={view.canRun} onRun={session.run} />
          )}
          {(phase.kind === 'finished' || phase.kind === 'canceled') && (
            <OutcomePanel
              phase={phase}
              onDismiss={session.dismissOutcome}
              onOpenSettings={() => session.show('settings')}
              onPlaceAgain={(item) => item.pending !== undefined && session.placeAgain(item.pending, item.name)}
              onPlaceCanceled={session.placeCanceled}
              onSelect={session.selectNodes}
            />
          )}
          <StatusNotice text={state.notice} />
          {connection.kind === 'error' && phase.kind === 'idle' && (
            <StatusNotice text={connection.error.code === 'relay_unreachable' ? ERROR_MESSAGES.relay_unreachable : connection.error.message} />
          )}
        </div>
      )}
    </main>
  )
}
