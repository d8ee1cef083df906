/**
 * A fault proxy at the relay's fetch boundary, for faults the hosts' fakes do not have: it sits
 * between the relay and a fake (the relay's `fetch` dependency), forwards everything, and for the
 * first request that matches it can trickle the answer's body (one byte every `intervalMs`, until
 * the relay's signal aborts) or reset the connection before the request is sent on. In-process
 * rather than a TCP proxy because the fakes answer with absolute URLs on their own origins (result
 * files, BFL's region server), which a proxy on another port would have to rewrite.
 */
export type FetchFault = { kind: 'trickle'; intervalMs: number } | { kind: 'reset' }

export function faultFetch(
  match: (url: string, init: RequestInit | undefined) => boolean,
  fault: FetchFault
): typeof fetch & { used: () => boolean } {
  let used = false
  const wrapped = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (used || !match(url, init)) return fetch(input, init)
    used = true
    if (fault.kind === 'reset') {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) })
    }
    const upstream = await fetch(input, init)
    const bytes = new Uint8Array(await upstream.arrayBuffer())
    const signal = init?.signal ?? undefined
    let offset = 0
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, fault.intervalMs)
          function done(): void {
            clearTimeout(timer)
            signal?.removeEventListener('abort', done)
            resolve()
          }
          signal?.addEventListener('abort', done, { once: true })
        })
        if (signal?.aborted) return controller.error(signal.reason)
        if (offset >= bytes.length) return controller.close()
        controller.enqueue(bytes.subarray(offset, offset + 1))
        offset += 1
      }
    })
    const headers = new Headers(upstream.headers)
    headers.delete('content-encoding')
    return new Response(body, { status: upstream.status, statusText: upstream.statusText, headers })
  }
  return Object.assign(wrapped, { used: () => used })
}
