import { EditView } from './components/edit-view'
import { HistoryView } from './components/history-view'
import { SettingsView } from './components/settings-view'
import { StatusNotice } from './components/status-notice'
import { TopBar } from './components/top-bar'
import { useEditSession } from './hooks/use-edit-session'
import { useEscapeToCancel } from './hooks/use-escape-to-cancel'
import { useNow } from './hooks/use-now'
import type { EditSession } from './session/edit-session'

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

  // The editor shows at once, before the sandbox's init: a designer can start typing while it
  // reads the selection and settings (a first run then switches to Settings).
  if (state.launch.command === 'quick') return <main class="app loading">Kontext Edit quick action</main>

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
      {state.view === 'edit' && <EditView state={state} session={session} now={now} />}
    </main>
  )
}
