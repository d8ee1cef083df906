import { AppError, type ErrorInfo } from '../../shared/errors'
import { PluginToUi, type Reference, type ResultImage, type UiToPluginInput } from '../../shared/messages'

/** How the UI talks to the sandbox: parent.postMessage in Figma, a fake in tests. */
export interface PluginPort {
  post(message: UiToPluginInput): void
  subscribe(listener: (raw: unknown) => void): () => void
}

type Listener = (message: PluginToUi) => void

function toError(info: ErrorInfo): AppError {
  return new AppError(info.code, info.message)
}

/** The sandbox as the panel sees it: its messages, one-way posts, and requests answered by id. */
export interface PluginBridge {
  /** Calls `listener` with every message the sandbox sends; returns a function that stops it. */
  on(listener: Listener): () => void
  post(message: UiToPluginInput): void
  exportSelectionAsync(requestId: string, signal: AbortSignal, nodeIds?: string[]): Promise<Reference[]>
  /** Still resolves after an abort when the sandbox had placed the images already. */
  placeResultsAsync(requestId: string, sourceId: string, images: ResultImage[], signal: AbortSignal): Promise<{ nodeIds: string[]; besideSource: boolean }>
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

  /**
   * Sends a request and resolves with its reply. On abort, `onAbort` tells the sandbox; with
   * `awaitReplyOnAbort` the promise still waits for the sandbox's word (it may be too late to stop),
   * otherwise it rejects at once.
   */
  function request<T>(
    send: () => void,
    match: (message: PluginToUi) => T | AppError | undefined,
    signal: AbortSignal,
    onAbort: () => void,
    awaitReplyOnAbort = false
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason)
      const abort = (): void => {
        onAbort()
        if (awaitReplyOnAbort) return
        off()
        reject(signal.reason)
      }
      const off = on((message) => {
        const outcome = match(message)
        if (outcome === undefined) return
        off()
        signal.removeEventListener('abort', abort)
        if (outcome instanceof AppError) reject(outcome)
        else resolve(outcome)
      })
      signal.addEventListener('abort', abort, { once: true })
      send()
    })
  }

  return {
    on,
    post: (message: UiToPluginInput) => port.post(message),

    exportSelectionAsync(requestId: string, signal: AbortSignal, nodeIds?: string[]): Promise<Reference[]> {
      return request(
        () => port.post(nodeIds === undefined ? { type: 'export-selection', requestId } : { type: 'export-selection', requestId, nodeIds }),
        (message) => {
          if (message.type === 'exported' && message.requestId === requestId) return message.references
          if (message.type === 'export-failed' && message.requestId === requestId) return toError(message.error)
          return undefined
        },
        signal,
        () => port.post({ type: 'cancel', requestId })
      )
    },

    placeResultsAsync(requestId: string, sourceId: string, images: ResultImage[], signal: AbortSignal): Promise<{ nodeIds: string[]; besideSource: boolean }> {
      return request(
        () => port.post({ type: 'place-results', requestId, sourceId, images }),
        (message) => {
          if (message.type === 'placed' && message.requestId === requestId) return { nodeIds: message.nodeIds, besideSource: message.besideSource }
          if (message.type === 'place-failed' && message.requestId === requestId) return toError(message.error)
          return undefined
        },
        signal,
        () => port.post({ type: 'cancel', requestId }),
        // Placing takes a moment and may already have happened: report what the canvas got.
        true
      )
    }
  }
}
