/**
 * The HTTP plumbing every host fake needs but no host's contract describes: a loopback listener, a
 * close that does not wait, the request body, a record of the headers, and one reply model. What a
 * host answers (status codes, error bodies, header names) stays in its own fake, with its contract.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { HostFault } from './host-fault'

/** What the cross-host tests and benches may ask of any host's fake. */
export interface FakeHostOptions {
  /** How long a job takes at the host (default: each fake's own, usually 0). */
  latencyMs?: number
}

/** What each `start<Host>ForRelayAsync` gives the cross-host tests (test/fakes/fake-hosts.ts lists them). */
export interface FakeHostHandle {
  /** the relay's environment for this host: its key (if any) and the fake's URL(s) */
  env: Record<string, string>
  /** accepted (billable) submissions so far */
  submissions(): number
  /** second submissions of a job the host already has, where the fake can tell (else 0) */
  duplicates(): number
  /** queues one of the faults every fake knows (test/fakes/host-fault.ts) */
  failNext(fault: HostFault, times?: number): void
  close(): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------

/** Listens on a free port of 127.0.0.1 and returns the origin, e.g. http://127.0.0.1:PORT. */
export async function listenOnLoopbackAsync(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/**
 * Closes without waiting. Aborting `closing` first makes handlers that sleep on its signal give up
 * and answer nothing; `closeAllConnections` ends keep-alive sockets and requests a fault left
 * hanging, which `server.close` alone would wait for.
 */
export function closeServerAsync(server: Server, closing?: AbortController): Promise<void> {
  closing?.abort()
  return new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/** Sleeps unless `closing` aborts first; false when it did, so a held answer is never sent. */
export async function waitUnlessClosedAsync(ms: number, closing: AbortSignal): Promise<boolean> {
  if (ms > 0) {
    try {
      await sleep(ms, undefined, { signal: closing })
    } catch {
      return false
    }
  }
  return !closing.aborted
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

export function readBodyAsync(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

/** `ok: false` keeps "no JSON at all" apart from a body that is the JSON `null`. */
export type ParsedJsonBody = { ok: true; value: unknown } | { ok: false }

/** Never throws: a fake answers a body that is not JSON with its host's own error. */
export function parseJsonBody(raw: Buffer): ParsedJsonBody {
  if (raw.length === 0) return { ok: false }
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown }
  } catch {
    return { ok: false }
  }
}

/** A plain copy for the fake's request log, which outlives the request; repeated headers joined. */
export function copyHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return headers
}

/** Content-Type is application/json, whatever its case and parameters (a charset, say). */
export function hasJsonContentType(request: IncomingMessage): boolean {
  return request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() === 'application/json'
}

const DATA_URI = /^data:([^;,]+);base64,(.*)$/s
const STRICT_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/** The two parts of a base64 data URI, the media type as sent; null when it is not one. */
export function parseDataUri(value: string): { mediaType: string; base64: string } | null {
  const match = DATA_URI.exec(value)
  return match === null ? null : { mediaType: match[1] ?? '', base64: match[2] ?? '' }
}

/** The bytes, or null when the text is not canonical base64. */
export function decodeStrictBase64(text: string): Uint8Array | null {
  // Buffer.from(…, 'base64') silently skips junk; a strict check catches double encoding and truncation.
  if (text.length === 0 || text.length % 4 !== 0 || !STRICT_BASE64.test(text)) return null
  return new Uint8Array(Buffer.from(text, 'base64'))
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

export interface JsonReply {
  kind: 'json'
  status: number
  body: unknown
  headers?: Record<string, string>
  /** default application/json */
  contentType?: string
}

export interface RawReply {
  kind: 'raw'
  status: number
  contentType: string
  body: string | Uint8Array
  headers?: Record<string, string>
}

/**
 * An answer written as it is produced (server-sent events): each chunk as `chunks` yields it, the
 * end when it ends. `gone` aborts when the client goes away, so the producer's loop stops too.
 */
export interface StreamReply {
  kind: 'stream'
  status: number
  contentType: string
  chunks: (gone: AbortSignal) => AsyncIterable<string>
}

/**
 * What a handler decided. Besides an answer, a fault can drop the connection (`destroy`) or never
 * answer (`hang`): the two failures a client meets on a real network and must survive.
 */
export type FakeReply = JsonReply | RawReply | StreamReply | { kind: 'destroy' } | { kind: 'hang' }

export function jsonReply(status: number, body: unknown, headers?: Record<string, string>): JsonReply {
  return headers === undefined ? { kind: 'json', status, body } : { kind: 'json', status, body, headers }
}

export function sendReply(response: ServerResponse, reply: JsonReply | RawReply): void {
  // A body that cannot be serialized fails before the head is written, so the fake can still answer 500.
  const body = reply.kind === 'json' ? JSON.stringify(reply.body) : reply.body
  const contentType = reply.contentType ?? 'application/json'
  // Set last, so the Content-Type a reply chose cannot be overridden by its other headers.
  response.writeHead(reply.status, { ...reply.headers, 'content-type': contentType })
  response.end(body)
}

/** A `hang` leaves the request open; closeServerAsync ends its socket. */
export function deliverReply(request: IncomingMessage, response: ServerResponse, reply: FakeReply): void {
  if (reply.kind === 'destroy') request.socket.destroy()
  else if (reply.kind === 'stream') void streamReplyAsync(response, reply)
  else if (reply.kind !== 'hang') sendReply(response, reply)
}

/** Writes a stream's chunks until it ends or the client goes away. */
async function streamReplyAsync(response: ServerResponse, reply: StreamReply): Promise<void> {
  response.writeHead(reply.status, { 'content-type': reply.contentType, 'cache-control': 'no-cache' })
  const gone = new AbortController()
  response.once('close', () => gone.abort())
  try {
    for await (const chunk of reply.chunks(gone.signal)) {
      if (gone.signal.aborted) break
      response.write(chunk)
    }
  } finally {
    response.end()
  }
}

/** Waits `ms`, or less when `signal` aborts (never rejects): a fake's stream loop sleeps with it. */
export function pauseAsync(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
