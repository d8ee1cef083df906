import type { ReferenceTarget } from '../../shared/reference-target'
import { AppError, type ErrorInfo } from '../../shared/errors'
import { PluginToUi, type Reference, type ResultImage, type UiToPluginInput } from '../../shared/messages'
import { requestReplyAsync } from './request-reply-async'

/** How the UI talks to the sandbox: parent.postMessage in Figma, a fake in tests. */
export interface PluginPort {
  post(message: UiToPluginInput): void
  subscribe(listener: (raw: unknown) => void): () => void
}

type Listener = (message: PluginToUi) => void

/** What a region edit asks of the sandbox: the area of `nodeIds` (or `rect`) in the container. */
export type AreaExportRequest = Omit<Extract<UiToPluginInput, { type: 'export-area' }>, 'type' | 'requestId'>

/** The crop for the model, the container at full resolution, where each sits, and notes for the designer. */
export type AreaExport = Omit<Extract<PluginToUi, { type: 'area-exported' }>, 'type' | 'requestId'>

function toError(info: ErrorInfo): AppError {
  return new AppError(info.code, info.message)
}

/** The sandbox as the panel sees it: its messages, one-way posts, and requests answered by id. */
export interface PluginBridge {
  /** Calls `listener` with every message the sandbox sends; returns a function that stops it. */
  on(listener: Listener): () => void
  post(message: UiToPluginInput): void
  /** Exports the selection (or `nodeIds`) at the size the model makes use of. */
  exportSelectionAsync(
    requestId: string,
    signal: AbortSignal,
    options: { nodeIds?: string[]; reference: ReferenceTarget }
  ): Promise<Reference[]>
  /** A region edit's exports; rejects with the sandbox's error when the area cannot be exported. */
  exportAreaAsync(requestId: string, request: AreaExportRequest, signal: AbortSignal): Promise<AreaExport>
  /** Still resolves after an abort when the sandbox had placed the images already. */
  placeResultsAsync(
    requestId: string,
    sourceId: string,
    images: ResultImage[],
    signal: AbortSignal
  ): Promise<{ nodeIds: string[]; besideSource: boolean }>
}

/**
 * Typed requests to the sandbox. Every incoming message is parsed; anything else is logged and
 * ignored. Replies are matched to requests by id.
 */
export function createPluginBridge(port: PluginPort, log: (message: string, detail?: unknown) => void): PluginBridge {
  const listeners = new Set<Listener>()
  port.subscribe((raw) => {
    const parsed = PluginToUi.safeParse(raw)
    if (!parsed.success) {
      log('ignored a message the panel does not understand', raw)
      return
    }
    for (const listener of [...listeners]) listener(parsed.data)
  })

  function on(listener: Listener): () => void {
    listeners.add(listener)
    return () => void listeners.delete(listener)
  }

  return {
    on,
    post: (message: UiToPluginInput) => port.post(message),

    exportSelectionAsync(requestId, signal, { nodeIds, reference }): Promise<Reference[]> {
      return requestReplyAsync(on, {
        send: () => port.post({ type: 'export-selection', requestId, reference, ...(nodeIds === undefined ? {} : { nodeIds }) }),
        match: (message) => {
          if (message.type === 'exported' && message.requestId === requestId) return message.references
          if (message.type === 'export-failed' && message.requestId === requestId) return toError(message.error)
          return undefined
        },
        signal,
        onAbort: () => port.post({ type: 'cancel', requestId })
      })
    },

    exportAreaAsync(requestId: string, request: AreaExportRequest, signal: AbortSignal): Promise<AreaExport> {
      return requestReplyAsync(on, {
        send: () => port.post({ type: 'export-area', requestId, ...request }),
        match: (message) => {
          if (message.type === 'area-exported' && message.requestId === requestId)
            return { reference: message.reference, frame: message.frame, geometry: message.geometry, notes: message.notes }
          if (message.type === 'export-failed' && message.requestId === requestId) return toError(message.error)
          return undefined
        },
        signal,
        onAbort: () => port.post({ type: 'cancel', requestId })
      })
    },

    placeResultsAsync(
      requestId: string,
      sourceId: string,
      images: ResultImage[],
      signal: AbortSignal
    ): Promise<{ nodeIds: string[]; besideSource: boolean }> {
      return requestReplyAsync(on, {
        send: () => port.post({ type: 'place-results', requestId, sourceId, images }),
        match: (message) => {
          if (message.type === 'placed' && message.requestId === requestId)
            return { nodeIds: message.nodeIds, besideSource: message.besideSource }
          if (message.type === 'place-failed' && message.requestId === requestId) return toError(message.error)
          return undefined
        },
        signal,
        onAbort: () => port.post({ type: 'cancel', requestId }),
        // Placing takes a moment and may already have happened: report what the canvas got.
        awaitReplyOnAbort: true
      })
    }
  }
}
