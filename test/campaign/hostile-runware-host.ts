/**
 * A hostile (or compromised) image host for the outbound-rules campaign (docs/outbound.md). It is
 * not a contract fake: it speaks just enough of Runware's wire format to take the relay to the
 * step under attack, then does what no honest host does.
 *
 * The honest part follows Runware's docs, https://runware.ai/docs/en/image-inference/api-reference
 * ("Response": `{"data":[{"taskType":"imageInference","taskUUID",…,"imageURL","seed","cost"}]}`),
 * as the relay's Runware adapter reads it (relay/providers/runware/runware-provider.ts, RunwareEnvelope): one POST of
 * a JSON task array, answered synchronously with the result by URL (`imageURL`, which Runware
 * returns when `outputType` is `URL`; the adapter accepts it even though it asks for base64).
 *
 * The hostile part, chosen per test with `behave`:
 * - `result-url`: the submit succeeds and `imageURL` is whatever the test names;
 * - `redirect-submit`: the submit is answered `307` with `Location` set, which a client that
 *   follows redirects answers by POSTing the prompt and the reference there;
 * - `huge-answer`: the submit is answered 200 with a JSON body of `bytes` bytes, generated chunk by
 *   chunk (never held in memory), without content-length; `sentBytes()` says how much went out
 *   before the relay stopped reading.
 * Besides, `GET /redirect?to=URL` answers `302 Location: URL` on the host's own origin, and
 * `GET /ok.png` a real PNG.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { closeServerAsync, listenOnLoopbackAsync, readBodyAsync } from '../fakes/fake-http'
import { makePng } from '../fakes/make-image'

export type HostileBehaviour =
  { kind: 'result-url'; imageUrl: string } | { kind: 'redirect-submit'; location: string } | { kind: 'huge-answer'; bytes: number }

export interface HostileRunwareHost {
  /** The value for RUNWARE_API_URL. */
  url: string
  origin: string
  behave(behaviour: HostileBehaviour): void
  /** POSTs received (submits and getResponse polls). */
  posts(): number
  /** Bytes of the huge answer written so far. */
  sentBytes(): number
  close(): Promise<void>
}

export const HOSTILE_PNG = makePng(16, 9, 5)

const CHUNK = Buffer.alloc(64 * 1024, 'A')

export async function startHostileRunwareAsync(): Promise<HostileRunwareHost> {
  let behaviour: HostileBehaviour = { kind: 'result-url', imageUrl: '' }
  let posts = 0
  let sent = 0
  const closing = new AbortController()

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake')
    if (request.method === 'GET' && url.pathname === '/redirect') {
      response.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end()
      return
    }
    if (request.method === 'GET' && url.pathname === '/ok.png') {
      response.writeHead(200, { 'content-type': 'image/png', 'content-length': String(HOSTILE_PNG.byteLength) }).end(HOSTILE_PNG)
      return
    }
    if (request.method !== 'POST' || url.pathname !== '/v1') {
      response.writeHead(404).end()
      return
    }
    posts += 1
    const tasks = JSON.parse((await readBodyAsync(request)).toString('utf8')) as Array<{ taskUUID?: string }>
    const taskUUID = tasks[0]?.taskUUID ?? 'unknown'
    switch (behaviour.kind) {
      case 'result-url': {
        const item = { taskType: 'imageInference', taskUUID, imageUUID: taskUUID, imageURL: behaviour.imageUrl, seed: 42, cost: 0.04 }
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [item] }))
        return
      }
      case 'redirect-submit':
        response.writeHead(307, { location: behaviour.location }).end()
        return
      case 'huge-answer':
        await streamHugeAsync(response, taskUUID, behaviour.bytes)
    }
  }

  /** Writes only while the socket drains, so the host holds one chunk at a time. */
  async function streamHugeAsync(response: ServerResponse, taskUUID: string, bytes: number): Promise<void> {
    response.writeHead(200, { 'content-type': 'application/json' })
    const head = Buffer.from(`{"data":[{"taskType":"imageInference","taskUUID":"${taskUUID}","imageBase64Data":"`)
    const tail = Buffer.from('"}]}')
    response.write(head)
    sent += head.byteLength
    while (sent + CHUNK.byteLength + tail.byteLength <= bytes && !response.destroyed && !closing.signal.aborted) {
      sent += CHUNK.byteLength
      if (!response.write(CHUNK)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            response.off('drain', done)
            response.off('close', done)
            resolve()
          }
          response.on('drain', done)
          response.on('close', done)
        })
      }
    }
    if (!response.destroyed) response.end(tail)
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy())
  })
  const origin = await listenOnLoopbackAsync(server)
  return {
    url: `${origin}/v1`,
    origin,
    behave: (next) => {
      behaviour = next
    },
    posts: () => posts,
    sentBytes: () => sent,
    close: () => closeServerAsync(server, closing)
  }
}
