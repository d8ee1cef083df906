import { AppError } from '../../../shared/errors'
import { answerCaps } from '../../net/answer-caps'
import { readCappedAsync } from './read-capped-async'

/**
 * Host calls, with network failures sorted by whether the host can have seen the request.
 * A submit may be sent again only when it cannot have been accepted (docs/hosts.md, "What every host shares").
 * `fetchImpl` is the host's outbound fetch (relay/net/outbound-fetch.ts, docs/outbound.md): a URL
 * it refuses throws AppError('provider_error'), which is passed on as it is, never taken for
 * "the host was not reached", so it never leads to a resubmit.
 */
export type HostAnswer =
  | { kind: 'response'; response: Response }
  /** `reachedHost` false: the connection never opened, so nothing was accepted. */
  | { kind: 'network'; reachedHost: boolean; detail: string; error: unknown }

// Errors raised before a single byte reached the host (undici and Node's DNS/socket codes).
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])

function errorCode(error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth += 1) {
    if ('code' in current && typeof current.code === 'string') return current.code
    current = 'cause' in current ? current.cause : undefined
  }
  return undefined
}

export async function hostFetchAsync(fetchImpl: typeof fetch, url: string, init: RequestInit, signal: AbortSignal): Promise<HostAnswer> {
  try {
    return { kind: 'response', response: await fetchImpl(url, { ...init, signal }) }
  } catch (error) {
    if (signal.aborted) throw signal.reason
    if (error instanceof AppError) throw error
    const code = errorCode(error)
    return { kind: 'network', reachedHost: code === undefined || !CONNECT_CODES.has(code), detail: code ?? 'network error', error }
  }
}

/**
 * The default cap on a host's answer read as text: JSON job records and errors are a few kB; 16 MiB
 * leaves room for any of them while a hostile or broken host (a 300 MB answer once took the relay
 * to 1.77 GB) is cut off early. Hosts whose answers carry images as base64 get a larger cap from
 * their definition (`answerMaxBytes`, relay/providers/host-definition.ts), or a caller passes `maxBytes`.
 */
export const DEFAULT_ANSWER_MAX_BYTES = 16 * 1024 * 1024

export interface ReadTextOptions {
  /** Overrides the host's cap (see DEFAULT_ANSWER_MAX_BYTES). */
  maxBytes?: number
}

function overCap(maxBytes: number, seen: string): AppError {
  return new AppError('provider_error', undefined, { detail: `host answer ${seen} is over the ${maxBytes} byte cap; reading stopped` })
}

/**
 * Reads a body as text, streamed, never past its byte cap (throws provider_error: the answer is
 * unusable, and reading more is what the cap prevents). A body cut off mid-way is reported, not thrown.
 */
export async function readTextAsync(
  response: Response,
  signal: AbortSignal,
  options: ReadTextOptions = {}
): Promise<{ ok: true; text: string } | { ok: false; detail: string; error: unknown }> {
  const maxBytes = options.maxBytes ?? answerCaps.get(response) ?? DEFAULT_ANSWER_MAX_BYTES
  const read = await readCappedAsync(response, maxBytes, signal, (declared) =>
    overCap(maxBytes, declared === undefined ? `of more than ${maxBytes} bytes` : `of ${declared} bytes (content-length)`)
  )
  if (!read.ok) return { ok: false, detail: 'body cut off', error: read.error }
  const decoder = new TextDecoder()
  return { ok: true, text: read.chunks.map((chunk) => decoder.decode(chunk, { stream: true })).join('') + decoder.decode() }
}
