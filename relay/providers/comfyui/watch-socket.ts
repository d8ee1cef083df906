import type { RawData, WebSocket } from 'ws'
import type { ProviderDeps } from '../provider'
import { parseFrame } from './parse-frame'
import type { ComfyEvent } from './progress-socket'

export interface SocketWatch {
  provider: string
  log: ProviderDeps['log']
  /** Each usable event, in order. */
  deliver(event: ComfyEvent): void
  onOpen(): void
  onClose(): void
}

function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8')
}

/** Reads one socket's frames into events, and leaves the operator one line per socket on how it went. */
export function watchSocket(socket: WebSocket, watch: SocketWatch): void {
  const { provider, log } = watch
  let opened = false
  let lastError: string | undefined
  let unusable = 0
  let binary = 0
  socket.on('open', () => {
    opened = true
    log('provider.progress_socket', { provider, state: 'open' })
    watch.onOpen()
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
    if (frame.kind === 'event') watch.deliver(frame.event)
  })
  // Without a listener, ws would throw the error; 'close' always follows it.
  socket.on('error', (error) => {
    lastError = error.message
  })
  socket.on('close', (code) => {
    log('provider.progress_socket', {
      provider,
      state: opened ? 'closed' : 'failed',
      code,
      detail: lastError,
      unusableFrames: unusable,
      binaryFrames: binary
    })
    watch.onClose()
  })
}
