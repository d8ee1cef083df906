import { AsyncResource } from 'node:async_hooks'
import { WebSocket, type RawData } from 'ws'
import * as z from 'zod'
import type { ProviderDeps } from '../provider'

/**
 * ComfyUI's websocket (docs/hosts.md, "ComfyUI"; server.py, execution.py), read only for progress: `ws://host:8188/ws?clientId=<id>`
 * with the `client_id` the relay sends in `/prompt`, text frames `{type, data}`, binary frames for
 * previews. Nothing here can fail an edit: a socket that is refused, drops, or sends frames that are
 * not as documented only costs progress, and leaves a log line for the operator. Polling `/history`
 * stays the source of truth (a fully cached run may send nothing at all).
 *
 * One socket per relay, not per edit: ComfyUI keeps one socket per `clientId` (a second connection
 * with the same id takes over, and when either closes ComfyUI forgets the id), and the relay has
 * one `client_id`, so sockets per edit would steal each other's frames. The socket opens when the
 * first edit starts listening and closes when the last one stops; frames are handed to every
 * listening edit, which keeps those of its own prompts.
 */

export type ComfyEvent =
  /** A node of the prompt reported `value` of `max` steps (the sampler, in practice). */
  | { kind: 'progress'; promptId: string; value: number; max: number }
  /** The prompt is executing (`execution_start`, or `executing` a node). */
  | { kind: 'started'; promptId: string }
  /** The prompt has ended, one way or another: only a hint to look at `/history` now. */
  | { kind: 'ended'; promptId: string }

export type ComfyEventListener = (event: ComfyEvent) => void

export interface ProgressSocket {
  /** Hands frames to `listener` until the returned function is called (it may be called twice). */
  listen(listener: ComfyEventListener): () => void
  /** Resolves once the socket is open or has failed (never rejects), or after `timeoutMs`. */
  readyAsync(timeoutMs: number, signal: AbortSignal): Promise<void>
}

/** `COMFYUI_URL` with http→ws, https→wss, and `/ws?clientId=…` after any path prefix. */
export function websocketUrl(base: string, clientId: string): string {
  const url = new URL(base)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/ws`
  url.search = new URLSearchParams({ clientId }).toString()
  url.hash = ''
  return url.toString()
}

// ---------------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------------

const Frame = z.object({ type: z.string(), data: z.record(z.string(), z.unknown()) })
const PromptId = z.string().min(1)
const Progress = z
  .object({ value: z.number().min(0), max: z.number().positive(), prompt_id: PromptId })
  .refine((progress) => progress.value <= progress.max, 'value is above max')
const Executing = z.object({ node: z.union([z.string(), z.number()]).nullable(), prompt_id: PromptId })
const PromptEvent = z.object({ prompt_id: PromptId })
/** Kinds the relay has no use for (`status`, `executed`, `execution_cached`, `progress_state`, …) are skipped. */
const ENDED = new Set(['execution_success', 'execution_error', 'execution_interrupted'])

export type ParsedFrame = { kind: 'event'; event: ComfyEvent } | { kind: 'skipped' } | { kind: 'unusable'; reason: string }

/** Never throws; `unusable` for text that is not a frame as ComfyUI's server.py sends it. */
export function parseFrame(text: string): ParsedFrame {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { kind: 'unusable', reason: 'not JSON' }
  }
  const frame = Frame.safeParse(json)
  if (!frame.success) return { kind: 'unusable', reason: 'not {type, data}' }
  const { type, data } = frame.data
  const unusable = (error: z.ZodError): ParsedFrame => ({ kind: 'unusable', reason: `${type}: ${error.issues[0]?.path.join('.') ?? ''} ${error.issues[0]?.message ?? ''}`.trim() })
  if (type === 'progress') {
    const progress = Progress.safeParse(data)
    if (!progress.success) return unusable(progress.error)
    return { kind: 'event', event: { kind: 'progress', promptId: progress.data.prompt_id, value: progress.data.value, max: progress.data.max } }
  }
  if (type === 'executing') {
    // On a reconnect ComfyUI repeats the running node without a prompt_id: nothing to attribute it to.
    if (data.prompt_id === undefined) return { kind: 'skipped' }
    const executing = Executing.safeParse(data)
    if (!executing.success) return unusable(executing.error)
    return { kind: 'event', event: { kind: executing.data.node === null ? 'ended' : 'started', promptId: executing.data.prompt_id } }
  }
  if (type === 'execution_start' || ENDED.has(type)) {
    const event = PromptEvent.safeParse(data)
    if (!event.success) return unusable(event.error)
    return { kind: 'event', event: { kind: type === 'execution_start' ? 'started' : 'ended', promptId: event.data.prompt_id } }
  }
  return { kind: 'skipped' }
}

function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8')
}

// ---------------------------------------------------------------------------------------------
// The socket
// ---------------------------------------------------------------------------------------------

const HANDSHAKE_TIMEOUT_MS = 5000
/** While edits still listen, a lost socket is opened again after 1 s, 2 s, 4 s … up to 30 s. */
const RECONNECT_FIRST_MS = 1000
const RECONNECT_CAP_MS = 30_000

export function createProgressSocket(options: { url: string; provider: string; log: ProviderDeps['log']; sleepAsync: ProviderDeps['sleepAsync'] }): ProgressSocket {
  const { url, provider, log, sleepAsync } = options
  const listeners = new Set<ComfyEventListener>()
  /** The socket now open or opening; undefined between attempts and while nobody listens. */
  let current: WebSocket | undefined
  let retry: AbortController | undefined
  let failures = 0
  /** Woken when `current` opens or ends. */
  let settled: Array<() => void> = []
  /**
   * The socket serves every edit, so its log lines must not carry the request and job ids of the
   * edit that happened to open it: it runs in the async context of the relay's startup.
   */
  const scope = new AsyncResource('ComfyuiProgressSocket')

  const wakeWaiters = (): void => {
    const waiting = settled
    settled = []
    waiting.forEach((wake) => wake())
  }

  function connect(): void {
    if (current !== undefined || listeners.size === 0) return
    retry?.abort()
    retry = undefined
    let socket: WebSocket
    try {
      socket = new WebSocket(url, { handshakeTimeout: HANDSHAKE_TIMEOUT_MS, perMessageDeflate: false })
    } catch (error) {
      log('provider.progress_socket', { provider, state: 'failed', detail: error instanceof Error ? error.message : String(error) })
      scheduleRetry()
      return
    }
    current = socket
    let opened = false
    let lastError: string | undefined
    let unusable = 0
    let binary = 0
    socket.on('open', () => {
      opened = true
      failures = 0
      log('provider.progress_socket', { provider, state: 'open' })
      if (current === socket) wakeWaiters()
    })
    socket.on('message', (data, isBinary) => {
      // Previews: a 4-byte event type, a 4-byte image type, then the image. Not needed for progress.
      if (isBinary) {
        binary += 1
        return
      }
      const frame = parseFrame(textOf(data))
      if (frame.kind === 'unusable') {
        unusable += 1
        // Once per socket: a host that sends nothing usable would otherwise fill the log.
        if (unusable === 1) log('provider.progress_frame_ignored', { provider, detail: frame.reason })
        return
      }
      if (frame.kind !== 'event') return
      for (const listener of [...listeners]) {
        try {
          listener(frame.event)
        } catch (error) {
          log('provider.progress_listener_failed', { provider, detail: error instanceof Error ? error.message : String(error) })
        }
      }
    })
    // Without a listener, ws would throw the error; 'close' always follows it.
    socket.on('error', (error) => {
      lastError = error.message
    })
    socket.on('close', (code) => {
      log('provider.progress_socket', { provider, state: opened ? 'closed' : 'failed', code, detail: lastError, unusableFrames: unusable, binaryFrames: binary })
      if (current !== socket) return
      current = undefined
      wakeWaiters()
      if (listeners.size > 0) scheduleRetry()
    })
  }

  function scheduleRetry(): void {
    const delay = Math.min(RECONNECT_FIRST_MS * 2 ** failures, RECONNECT_CAP_MS)
    failures += 1
    const controller = new AbortController()
    retry = controller
    sleepAsync(delay, controller.signal).then(
      () => {
        if (retry !== controller) return
        retry = undefined
        connect()
      },
      () => undefined
    )
  }

  function shutdown(): void {
    retry?.abort()
    retry = undefined
    const socket = current
    current = undefined
    wakeWaiters()
    if (socket === undefined) return
    if (socket.readyState === WebSocket.OPEN) socket.close(1000)
    else socket.terminate()
  }

  return {
    listen(listener) {
      listeners.add(listener)
      scope.runInAsyncScope(connect)
      let listening = true
      return () => {
        if (!listening) return
        listening = false
        listeners.delete(listener)
        if (listeners.size === 0) shutdown()
      }
    },

    readyAsync(timeoutMs, signal) {
      if (current === undefined || current.readyState !== WebSocket.CONNECTING || signal.aborted) return Promise.resolve()
      return new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer)
          signal.removeEventListener('abort', done)
          resolve()
        }
        const timer = setTimeout(done, timeoutMs)
        signal.addEventListener('abort', done, { once: true })
        settled.push(done)
      })
    }
  }
}
