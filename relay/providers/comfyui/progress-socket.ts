import { AsyncResource } from 'node:async_hooks'
import { WebSocket } from 'ws'
import { describeError } from '../../../shared/describe-error'
import type { ProviderDeps } from '../provider'
import { watchSocket } from './watch-socket'

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
// The socket
// ---------------------------------------------------------------------------------------------

const HANDSHAKE_TIMEOUT_MS = 5000
/** While edits still listen, a lost socket is opened again after 1 s, 2 s, 4 s … up to 30 s. */
const RECONNECT_FIRST_MS = 1000
const RECONNECT_CAP_MS = 30_000

export interface ProgressSocketOptions {
  url: string
  provider: string
  log: ProviderDeps['log']
  sleepAsync: ProviderDeps['sleepAsync']
}

/** One socket shared by every listening edit, opened again while any still listens. */
class SharedProgressSocket implements ProgressSocket {
  private readonly listeners = new Set<ComfyEventListener>()
  /** The socket now open or opening; undefined between attempts and while nobody listens. */
  private current: WebSocket | undefined
  private retry: AbortController | undefined
  private failures = 0
  /** Woken when `current` opens or ends. */
  private settled: Array<() => void> = []
  /**
   * The socket serves every edit, so its log lines must not carry the request and job ids of the
   * edit that happened to open it: it runs in the async context of the relay's startup.
   */
  private readonly scope = new AsyncResource('ComfyuiProgressSocket')

  constructor(private readonly options: ProgressSocketOptions) {}

  listen(listener: ComfyEventListener): () => void {
    this.listeners.add(listener)
    this.scope.runInAsyncScope(() => this.connect())
    let listening = true
    return () => {
      if (!listening) return
      listening = false
      this.listeners.delete(listener)
      if (this.listeners.size === 0) this.shutdown()
    }
  }

  readyAsync(timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.current === undefined || this.current.readyState !== WebSocket.CONNECTING || signal.aborted) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, timeoutMs)
      signal.addEventListener('abort', done, { once: true })
      this.settled.push(done)
    })
  }

  private wakeWaiters(): void {
    const waiting = this.settled
    this.settled = []
    waiting.forEach((wake) => wake())
  }

  private deliver(event: ComfyEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event)
      } catch (error) {
        this.options.log('provider.progress_listener_failed', { provider: this.options.provider, detail: describeError(error) })
      }
    }
  }

  private connect(): void {
    if (this.current !== undefined || this.listeners.size === 0) return
    this.retry?.abort()
    this.retry = undefined
    const { url, provider, log } = this.options
    let socket: WebSocket
    try {
      socket = new WebSocket(url, { handshakeTimeout: HANDSHAKE_TIMEOUT_MS, perMessageDeflate: false })
    } catch (error) {
      log('provider.progress_socket', { provider, state: 'failed', detail: describeError(error) })
      this.scheduleRetry()
      return
    }
    this.current = socket
    watchSocket(socket, {
      provider,
      log,
      deliver: (event) => this.deliver(event),
      onOpen: () => {
        this.failures = 0
        if (this.current === socket) this.wakeWaiters()
      },
      onClose: () => {
        if (this.current !== socket) return
        this.current = undefined
        this.wakeWaiters()
        if (this.listeners.size > 0) this.scheduleRetry()
      }
    })
  }

  private scheduleRetry(): void {
    const delay = Math.min(RECONNECT_FIRST_MS * 2 ** this.failures, RECONNECT_CAP_MS)
    this.failures += 1
    const controller = new AbortController()
    this.retry = controller
    this.options.sleepAsync(delay, controller.signal).then(
      () => {
        if (this.retry !== controller) return
        this.retry = undefined
        this.connect()
      },
      () => undefined
    )
  }

  private shutdown(): void {
    this.retry?.abort()
    this.retry = undefined
    const socket = this.current
    this.current = undefined
    this.wakeWaiters()
    if (socket === undefined) return
    if (socket.readyState === WebSocket.OPEN) socket.close(1000)
    else socket.terminate()
  }
}

export function createProgressSocket(options: ProgressSocketOptions): ProgressSocket {
  return new SharedProgressSocket(options)
}
