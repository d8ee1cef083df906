/**
 * Host calls, with network failures sorted by whether the host can have seen the request.
 * A submit may be sent again only when it cannot have been accepted (providers.md §7.6).
 */
export type HostAnswer =
  | { kind: 'response'; response: Response }
  /** `reachedHost` false: the connection never opened, so nothing was accepted. */
  | { kind: 'network'; reachedHost: boolean; detail: string }

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
    const code = errorCode(error)
    return { kind: 'network', reachedHost: code === undefined || !CONNECT_CODES.has(code), detail: `${code ?? 'network error'}: ${String(error)}` }
  }
}

/** Reads a body as text; a body cut off mid-way is reported, not thrown. */
export async function readTextAsync(response: Response, signal: AbortSignal): Promise<{ ok: true; text: string } | { ok: false; detail: string }> {
  try {
    return { ok: true, text: await response.text() }
  } catch (error) {
    if (signal.aborted) throw signal.reason
    return { ok: false, detail: `body cut off: ${String(error)}` }
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}
