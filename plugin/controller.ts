import { assertNever } from '../shared/assert-never'
import { AppError, toErrorInfo } from '../shared/errors'
import { PluginToUi, UiToPlugin, type HistoryEntry, type LaunchCommand } from '../shared/messages'
import { exportBox } from './export/export-box'
import { exportReferencesAsync } from './export/export-references-async'
import { isSceneNode, type FigmaPort, type PortPage, type PortRectangle, type PortSceneNode } from './figma-port'
import { placeResultsAsync } from './place/place-results-async'
import { readSelectionAsync } from './selection/read-selection-async'
import { selectNodesAsync } from './selection/select-nodes-async'
import { loadSettingsAsync, saveSettingsAsync } from './storage/settings-store'
import { fileIdOf } from './storage/file-id'
import { addHistoryAsync, loadHistoryAsync } from './storage/history-store'
import { forgetJobAsync, loadPendingJobsAsync, rememberJobAsync } from './storage/pending-jobs-store'

export interface ControllerDeps {
  log: (message: string, detail?: unknown) => void
  /** Runs `callback` after `ms`; returns a function that cancels it. */
  schedule: (callback: () => void, ms: number) => () => void
  now: () => number
  randomId: () => string
  /** How the plugin was launched; the quick action carries its instruction. */
  launch: { command: LaunchCommand; instruction?: string }
}

const SELECTION_DEBOUNCE_MS = 120
const HISTORY_THUMBNAIL_SIDE = 96

/**
 * The sandbox side: answers the UI's messages and reports selection changes. Network calls live
 * in the UI (the sandbox's fetch cannot be aborted); the sandbox exports, places and stores.
 */
export function createController<N extends PortSceneNode, R extends N & PortRectangle, P extends PortPage<N>>(figma: FigmaPort<N, R, P>, deps: ControllerDeps) {
  const canceled = new Set<string>()
  let cancelPendingSelection = (): void => undefined
  let selectionSequence = 0
  const fileId = (): string => fileIdOf(figma.root, deps.randomId)

  function post(message: PluginToUi): void {
    figma.ui.postMessage(PluginToUi.parse(message))
  }

  async function sendSelectionAsync(): Promise<void> {
    const sequence = ++selectionSequence
    const selection = await readSelectionAsync(figma.currentPage.selection)
    // A newer change may have finished first; only the latest selection is worth showing.
    if (sequence === selectionSequence) post({ type: 'selection', selection })
  }

  async function nodesAsync(ids: readonly string[] | undefined): Promise<ReadonlyArray<PortSceneNode>> {
    if (ids === undefined) return figma.currentPage.selection
    const nodes = await Promise.all(ids.map((id) => figma.getNodeByIdAsync(id)))
    if (nodes.some((node) => !isSceneNode(node) || node.removed)) throw new AppError('source_missing', 'The layer to edit is no longer in this file.')
    return nodes.filter(isSceneNode)
  }

  async function thumbnailAsync(nodeId: string | undefined): Promise<Uint8Array | undefined> {
    const node = nodeId === undefined ? null : await figma.getNodeByIdAsync(nodeId)
    if (!isSceneNode(node)) return undefined
    const box = exportBox(node)
    const constraint = box.width >= box.height ? ({ type: 'WIDTH', value: HISTORY_THUMBNAIL_SIDE } as const) : ({ type: 'HEIGHT', value: HISTORY_THUMBNAIL_SIDE } as const)
    return node.exportAsync({ format: 'JPG', constraint }).catch(() => undefined)
  }

  async function handleAsync(message: UiToPlugin): Promise<void> {
    switch (message.type) {
      case 'ui-ready': {
        const [settings, selection, pendingJobs, history] = await Promise.all([
          loadSettingsAsync(figma.clientStorage),
          readSelectionAsync(figma.currentPage.selection),
          loadPendingJobsAsync(figma.clientStorage, deps.now()),
          loadHistoryAsync(figma.clientStorage, fileId())
        ])
        post({ type: 'init', settings, selection, pendingJobs, history, ...deps.launch })
        return
      }
      case 'export-selection': {
        try {
          const references = await exportReferencesAsync(await nodesAsync(message.nodeIds))
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
        // Figma truncates past 100 characters itself (plugin typings: PluginAPI.notify).
        figma.notify(message.message, { error: message.error })
        return
      case 'remember-job':
        await rememberJobAsync(figma.clientStorage, message.job, deps.now())
        return
      case 'forget-job':
        await forgetJobAsync(figma.clientStorage, message.jobId, deps.now())
        return
      case 'add-history': {
        const thumbnail = await thumbnailAsync(message.entry.nodeIds[0])
        const entry: HistoryEntry = thumbnail === undefined ? message.entry : { ...message.entry, thumbnail }
        post({ type: 'history', history: await addHistoryAsync(figma.clientStorage, fileId(), entry) })
        return
      }
      case 'select-nodes': {
        let found = 0
        try {
          found = await selectNodesAsync(figma, message.nodeIds)
        } catch (error) {
          deps.log('select failed', error)
        }
        // Always answer: the panel waits for it to say whether the layers are still there.
        post({ type: 'nodes-selected', found })
        return
      }
      case 'close':
        cancelPendingSelection()
        figma.closePlugin(message.message)
        return
      default:
        assertNever(message)
    }
  }

  // Messages are handled in the order they came, so storage writes finish before a `close` that
  // follows them. A cancel acts at once: it must reach an export or placement already under way.
  let queue: Promise<void> = Promise.resolve()

  return {
    start(): void {
      figma.ui.on('message', (raw) => {
        const parsed = UiToPlugin.safeParse(raw)
        if (!parsed.success) {
          deps.log('ignored a message the plugin does not understand', raw)
          return
        }
        const message = parsed.data
        if (message.type === 'cancel') {
          canceled.add(message.requestId)
          return
        }
        queue = queue.then(() => handleAsync(message)).catch((error: unknown) => deps.log('message handler failed', error))
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
