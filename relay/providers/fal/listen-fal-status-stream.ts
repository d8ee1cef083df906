import { createParser } from 'eventsource-parser'
import { describeError } from '../../../shared/describe-error'
import { parseJson } from '../shared/parse-json'
import { FalQueueStatus } from './fal-answers'
import type { FalConnection } from './fal-connection'
import { FAL_PROVIDER } from './fal-error'

/** The stream carries small status events (logs are not asked for); more than this is not a status stream. */
const MAX_STREAM_BYTES = 1024 * 1024

/**
 * Follows `{status_url}/stream`, fal's queue status as server-sent events (fal-ai/fal-js
 * `libs/client/src/queue.ts` `streamStatus`, `streaming.ts`: `GET …/requests/{id}/status/stream`,
 * `accept: text/event-stream`, each event's `data` one queue status as JSON, the stream closed
 * once the request is done) and hands each status to `onStatus` as it comes.
 *
 * A push only: fal-js still calls the stream experimental and polls by default, so the poll stays
 * the source of truth. Whatever goes wrong here (no stream, an error status, a body that is not
 * an event stream, a malformed event, too many bytes, the connection dropping) ends the listening
 * with a log line and nothing else; it never throws, and it ends when `signal` aborts.
 */
export async function listenFalStatusStreamAsync(
  connection: FalConnection,
  statusUrl: string,
  requestId: string,
  signal: AbortSignal,
  onStatus: (status: FalQueueStatus) => void
): Promise<void> {
  const { deps } = connection
  const stop = (reason: string): void => {
    if (!signal.aborted) deps.log('provider.status_stream_ended', { provider: FAL_PROVIDER, requestId, reason })
  }
  try {
    const url = `${statusUrl}/stream?logs=0`
    const response = await deps.fetch(url, { headers: { ...connection.headers(false), accept: 'text/event-stream' }, signal })
    const type = response.headers.get('content-type') ?? ''
    if (!response.ok || !type.startsWith('text/event-stream') || response.body === null) {
      await response.body?.cancel().catch(() => undefined)
      return stop(`answered ${response.status} ${type || 'without a content type'}`)
    }
    let bad: string | undefined
    const parser = createParser({
      onEvent(event) {
        const parsed = FalQueueStatus.safeParse(parseJson(event.data))
        if (parsed.success) onStatus(parsed.data)
        else bad = 'an event that is not a queue status'
      }
    })
    const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader()
    const decoder = new TextDecoder()
    let total = 0
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return stop('closed by fal')
        total += value.byteLength
        if (total > MAX_STREAM_BYTES) return stop(`more than ${MAX_STREAM_BYTES} bytes`)
        parser.feed(decoder.decode(value, { stream: true }))
        if (bad !== undefined) return stop(bad)
      }
    } finally {
      await reader.cancel().catch(() => undefined)
    }
  } catch (error) {
    return stop(describeError(error) ?? 'failed')
  }
}
