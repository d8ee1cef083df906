import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A minimal image host with a fixed latency, for load: it speaks just enough of two wire formats
 * for the relay's real adapters, and answers every edit with the same precomputed result, so the
 * host costs next to nothing and the latency is exactly what it is set to.
 *
 * - Runware, synchronous delivery (`RUNWARE_API_URL` = `{url}/v1`): `POST /v1` with the task array;
 *   after `runwareLatencyMs` it answers the result as base64 in the JSON, as Runware does when asked
 *   for `outputType: "base64Data"`.
 * - fal's queue (`FAL_QUEUE_URL` = `{url}`): `POST /fal-ai/…` queues; `GET …/requests/{id}/status`
 *   answers 202 IN_PROGRESS until `falLatencyMs` after the submit, then 200 COMPLETED; `GET
 *   …/requests/{id}` gives the output with a CDN URL on this origin; `GET /cdn/{id}.png` the bytes.
 *   `GET …/requests/{id}/status/stream` is fal's status stream (server-sent events): IN_PROGRESS at
 *   once, COMPLETED when the result is ready, then the end of the stream.
 * - fal's storage (`FAL_STORAGE_URL` = `{url}`), for references over 1 MB: `POST
 *   /storage/upload/initiate` answers an upload URL and a file URL on this origin; `PUT
 *   /upload/{id}` takes the bytes (and keeps none).
 *
 * Both measure the latency from the moment the whole request body has arrived. The strict,
 * image-rendering fakes in test/fakes/ check the wire formats; this one is only fast.
 */
export interface FixedLatencyHostOptions {
  runwareLatencyMs: number
  falLatencyMs: number
  result: Uint8Array
  resultWidth: number
  resultHeight: number
}

export interface FixedLatencyHost {
  url: string
  /** Requests served, by kind. */
  counts: Record<'runware' | 'falSubmit' | 'falStatus' | 'falResult' | 'cdn' | 'falUpload', number>
  setLatency(runwareMs: number, falMs: number): void
  close(): Promise<void>
}

const TASK_UUID = Buffer.from('"taskUUID":"')

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  response.end(text)
}

export async function startFixedLatencyHostAsync(options: FixedLatencyHostOptions): Promise<FixedLatencyHost> {
  let runwareLatencyMs = options.runwareLatencyMs
  let falLatencyMs = options.falLatencyMs
  const base64 = Buffer.from(Buffer.from(options.result).toString('base64'))
  const falJobs = new Map<string, { readyAt: number }>()
  const counts = { runware: 0, falSubmit: 0, falStatus: 0, falResult: 0, cdn: 0, falUpload: 0 }
  let url = ''

  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request)
      const path = (request.url ?? '/').split('?')[0]!
      if (request.method === 'POST' && path === '/v1') {
        counts.runware += 1
        // The task's UUID, without parsing megabytes of JSON: it sits before the reference.
        const at = body.indexOf(TASK_UUID)
        const taskUUID = at < 0 ? randomUUID() : body.subarray(at + TASK_UUID.length, body.indexOf(0x22, at + TASK_UUID.length)).toString()
        await new Promise((resolve) => setTimeout(resolve, runwareLatencyMs))
        const head = Buffer.from(
          `{"data":[{"taskType":"imageInference","taskUUID":"${taskUUID}","imageUUID":"${randomUUID()}","seed":42,"cost":0.08,"imageBase64Data":"`
        )
        const tail = Buffer.from('"}]}')
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': head.length + base64.length + tail.length })
        response.write(head)
        response.write(base64)
        response.end(tail)
        return
      }
      const queue = /^\/([^/]+)\/([^/]+)\/requests\/([^/]+)(\/status\/stream|\/status)?$/.exec(path)
      if (queue !== null && request.method === 'GET') {
        const job = falJobs.get(queue[3]!)
        if (job === undefined) return sendJson(response, 404, { detail: 'Request not found' })
        const done = Date.now() >= job.readyAt
        if (queue[4] === '/status/stream') {
          response.writeHead(200, { 'content-type': 'text/event-stream' })
          const event = (status: string) => response.write(`data: ${JSON.stringify({ status, request_id: queue[3] })}\n\n`)
          if (!done) event('IN_PROGRESS')
          const timer = setTimeout(
            () => {
              event('COMPLETED')
              response.end()
            },
            Math.max(0, job.readyAt - Date.now())
          )
          response.on('close', () => clearTimeout(timer))
          return
        }
        if (queue[4] === '/status') {
          counts.falStatus += 1
          return sendJson(response, done ? 200 : 202, { status: done ? 'COMPLETED' : 'IN_PROGRESS', request_id: queue[3] })
        }
        counts.falResult += 1
        if (!done) return sendJson(response, 400, { detail: 'Request is still in progress' })
        return sendJson(response, 200, {
          images: [
            { url: `${url}/cdn/${queue[3]}.png`, content_type: 'image/png', width: options.resultWidth, height: options.resultHeight }
          ],
          seed: 42,
          has_nsfw_concepts: [false],
          prompt: ''
        })
      }
      if (request.method === 'POST' && path.startsWith('/fal-ai/')) {
        counts.falSubmit += 1
        const requestId = randomUUID()
        falJobs.set(requestId, { readyAt: Date.now() + falLatencyMs })
        const app = path.split('/').slice(1, 3).join('/')
        const base = `${url}/${app}/requests/${requestId}`
        return sendJson(response, 200, {
          request_id: requestId,
          status: 'IN_QUEUE',
          queue_position: 0,
          response_url: base,
          status_url: `${base}/status`,
          cancel_url: `${base}/cancel`
        })
      }
      if (request.method === 'POST' && path === '/storage/upload/initiate') {
        const id = randomUUID()
        return sendJson(response, 200, { upload_url: `${url}/upload/${id}`, file_url: `${url}/cdn/${id}.png` })
      }
      if (request.method === 'PUT' && path.startsWith('/upload/')) {
        counts.falUpload += 1
        response.writeHead(200, { 'content-length': 0 })
        response.end()
        return
      }
      if (request.method === 'GET' && path.startsWith('/cdn/')) {
        counts.cdn += 1
        response.writeHead(200, { 'content-type': 'image/png', 'content-length': options.result.byteLength })
        response.end(options.result)
        return
      }
      sendJson(response, 404, { detail: `nothing at ${request.method} ${path}` })
    })().catch((error: unknown) => {
      response.destroy(error instanceof Error ? error : new Error(String(error)))
    })
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    counts,
    setLatency(runwareMs, falMs) {
      runwareLatencyMs = runwareMs
      falLatencyMs = falMs
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
