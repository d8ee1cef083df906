import { AppError } from '../../../shared/errors'

export type CappedRead = { ok: true; chunks: Uint8Array[]; total: number } | { ok: false; error: unknown }

/**
 * Reads a host's body as it arrives, never past `maxBytes`: a larger `content-length` is refused
 * before a byte is read and a body that grows past the cap is cancelled there, both with
 * `overCap` (what the caller says of it); a body cut off mid-way comes back `ok: false` with its
 * error; an abort rethrows the signal's reason.
 */
export async function readCappedAsync(
  response: Response,
  maxBytes: number,
  signal: AbortSignal,
  overCap: (declared: number | undefined) => AppError
): Promise<CappedRead> {
  // Stryker disable next-line StringLiteral: any fallback text reads as 0 or NaN, neither over a cap
  const declared = Number(response.headers.get('content-length') ?? '')
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined)
    throw overCap(declared)
  }
  const reader: ReadableStreamDefaultReader<Uint8Array> | undefined = response.body?.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  if (reader === undefined) return { ok: true, chunks, total }
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      total += value.byteLength
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined)
        throw overCap(undefined)
      }
      chunks.push(value)
    }
    return { ok: true, chunks, total }
  } catch (error) {
    if (signal.aborted) throw signal.reason
    if (error instanceof AppError) throw error
    return { ok: false, error }
  }
}
