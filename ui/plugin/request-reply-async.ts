import { AppError } from '../../shared/errors'
import type { PluginToUi } from '../../shared/messages'

export interface ReplyRequest<T> {
  /** Posts the request to the sandbox. */
  send: () => void
  /** The reply's value or error when `message` answers this request; undefined for any other message. */
  match: (message: PluginToUi) => T | AppError | undefined
  signal: AbortSignal
  /** Tells the sandbox the request was aborted. */
  onAbort: () => void
  /** Wait for the sandbox's word even after an abort (it may be too late to stop). */
  awaitReplyOnAbort?: boolean
}

/**
 * Sends a request and resolves with its reply. On abort, `onAbort` tells the sandbox; with
 * `awaitReplyOnAbort` the promise still waits for the sandbox's word (it may be too late to stop),
 * otherwise it rejects at once. `on` subscribes to the sandbox's messages and returns an unsubscribe.
 */
export function requestReplyAsync<T>(on: (listener: (message: PluginToUi) => void) => () => void, request: ReplyRequest<T>): Promise<T> {
  const { send, match, signal, onAbort, awaitReplyOnAbort = false } = request
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
