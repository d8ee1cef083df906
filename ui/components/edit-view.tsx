import { ERROR_MESSAGES } from '../../shared/errors'
import { fillPreset, replaceTextInstruction } from '../../shared/presets'
import type { EditSession } from '../session/edit-session'
import { panelViewModel } from '../session/panel-view-model'
import type { PanelState } from '../state/panel-state'
import { AreaChoice } from './area-choice'
import { OptionsPanel } from './options-panel'
import { OutcomePanel } from './outcome-panel'
import { PresetChips } from './preset-chips'
import { ProgressPanel } from './progress-panel'
import { PromptBox } from './prompt-box'
import { RecoveredCard } from './recovered-card'
import { RunBar } from './run-bar'
import { SelectionCard } from './selection-card'
import { StatusNotice } from './status-notice'
import { TypographyHelper, type TypographyHelperProps } from './typography-helper'
import { TEXT_MODEL } from '../../shared/models'
import type { Choice } from '../state/resolve-choice'

export interface EditViewProps {
  state: PanelState
  session: EditSession
  now: number
}

/** The edit view: the selection, the instruction and its options, the run and its outcome. */
/** The text model, when the relay's host has it and another model is chosen. */
function recommendedFor(choice: Choice, session: EditSession): Pick<TypographyHelperProps, 'recommended'> {
  const text = choice.models.find((model) => model.id === TEXT_MODEL)
  if (text === undefined || choice.capabilities.id === TEXT_MODEL) return {}
  return { recommended: { name: text.name, onUse: () => session.setOptions({ model: TEXT_MODEL }) } }
}

export function EditView({ state, session, now }: EditViewProps) {
  const { settings, phase, connection } = state
  const view = panelViewModel(state)
  const busy = phase.kind === 'running'
  const insert = (filled: { text: string; selectStart: number; selectEnd: number }): void =>
    session.setPrompt(filled.text, { start: filled.selectStart, end: filled.selectEnd })

  return (
    <div class="edit">
      <RecoveredCard recovered={state.recovered} disabled={busy} onPlace={session.placeRecovered} onDismiss={session.dismissRecovered} />
      <SelectionCard
        selection={state.selection}
        known={state.ready}
        mode={state.mode}
        maxReferences={view.maxReferences}
        disabled={busy}
        onMode={session.setMode}
      />
      {view.area !== undefined && (
        <AreaChoice offer={view.area.offer} scope={state.areaScope} disabled={busy} onChange={session.setAreaScope} />
      )}
      <TypographyHelper
        texts={view.texts}
        prompt={state.prompt}
        disabled={busy}
        onPick={(characters) => insert(replaceTextInstruction(characters))}
        {...recommendedFor(view.choice, session)}
      />
      <PresetChips disabled={busy} onPick={(template) => insert(fillPreset(template))} />
      <PromptBox
        value={state.prompt}
        disabled={busy}
        selection={state.promptSelection}
        onInput={(prompt) => session.setPrompt(prompt)}
        onSubmit={session.run}
      />
      <OptionsPanel options={settings.options} choice={view.choice} disabled={busy} onChange={session.setOptions} />
      {phase.kind === 'running' ? (
        <ProgressPanel phase={phase} now={now} onCancel={session.cancel} />
      ) : (
        <RunBar
          modelName={view.choice.capabilities.name}
          cost={view.cost}
          remaining={view.remaining}
          frames={view.frames}
          variants={view.variants}
          canRun={view.canRun}
          onRun={session.run}
        />
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
  )
}
