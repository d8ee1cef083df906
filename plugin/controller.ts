import { assertNever } from '../shared/assert-never'
import { AppError, toErrorInfo } from '../shared/errors'
import { PluginToUi, UiToPlugin } from '../shared/messages'
import { exportReferencesAsync } from './export/export-references-async'
import type { FigmaPort, PortPage, PortRectangle, PortSceneNode } from './figma-port'
import { placeResultsAsync } from './place/place-results-async'
import { readSelectionAsync } from './selection/read-selection-async'
import { loadSettingsAsync, saveSettingsAsync } from './settings-store'

export interface ControllerDeps {
  log: (message: string, detail?: unknown) => void
  /** Runs `callback` after `ms`; returns a function that cancels it. */
  schedule: (callback: () => void, ms: number) => () => void
}

const SELECTION_DEBOUNCE_MS = 120

/**
 * The sandbox side: answers the UI's messages and reports selection changes. Network calls live
 * in the UI (the sandbox's fetch cannot be aborted); the sandbox exports, places and stores.
 */
export function createController<N extends PortSceneNode, R extends N & PortRectangle, P extends PortPage<N>>(
  figma: FigmaPort<N, R, P>,
  deps: ControllerDeps
) {
  const canceled = new Set<string>()
  let cancelPendingSelection = (): void => undefined
  let selectionSequence = 0

  function post(message: PluginToUi): void {
    figma.ui.postMessage(PluginToUi.parse(message))
  }

  async function sendSelectionAsync(): Promise<void> {
    const sequence = ++selectionSequence
    const selection = await readSelectionAsync(figma.currentPage.selection)
    // A newer change may have finished first; only the latest selection is worth showing.
    if (sequence === selectionSequence) post({ type: 'selection', selection })
  }

  async function handleAsync(message: UiToPlugin): Promise<void> {
    switch (message.type) {
      case 'ui-ready': {
        const [settings, selection] = await Promise.all([loadSettingsAsync(figma.clientStorage), readSelectionAsync(figma.currentPage.selection)])
        post({ type: 'init', settings, selection })
        return
      }
      case 'export-selection': {
        try {
          const references = await exportReferencesAsync(figma.currentPage.selection)
          if (!canceled.has(message.requestId)) post({ type: 'exported', requestId: message.requestId, references })
        } catch (error) {
          deps.log('export failed', error instanceof AppError ? error.detail : error)
          post({ type: 'export-failed', requestId: message.requestId, error: toErrorInfo(error, 'export_failed') })
        }
        return
      }
      case 'cancel':
        canceled.add(message.requestId)
        return
      case 'place-results': {
        try {
          const placed = await placeResultsAsync(figma, message, () => canceled.has(message.requestId))
          post({ type: 'placed', requestId: message.requestId, ...placed })
          if (!placed.besideSource) figma.notify('The original layer is gone, so the result is in the middle of your view.')
        } catch (error) {
          deps.log('place failed', error instanceof AppError ? error.detail : error)
          post({ type: 'place-failed', requestId: message.requestId, error: toErrorInfo(error, 'place_failed') })
        }
        return
      }
      case 'save-settings': {
        const settings = await saveSettingsAsync(figma.clientStorage, message.settings)
        post({ type: 'settings-saved', settings })
        return
      }
      case 'notify':
        figma.notify(message.message, { error: message.error })
        return
      default:
        assertNever(message)
    }
  }

  return {
    start(): void {
      figma.ui.on('message', (raw) => {
        const parsed = UiToPlugin.safeParse(raw)
        if (!parsed.success) {
          deps.log('ignored a message the plugin does not understand', raw)
          return
        }
        handleAsync(parsed.data).catch((error: unknown) => deps.log('message handler failed', error))
      })
      const onSelection = (): void => {
        cancelPendingSelection()
        cancelPendingSelection = deps.schedule(() => void sendSelectionAsync().catch((error: unknown) => deps.log('selection failed', error)), SELECTION_DEBOUNCE_MS)
      }
      figma.on('selectionchange', onSelection)
      figma.on('currentpagechange', onSelection)
    }
  }
}
