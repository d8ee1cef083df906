import { randomUUID } from 'node:crypto'
import { catalogueCapabilities } from '../shared/catalogue-capabilities'
import { toEditRequest } from '../shared/to-edit-request'
import type { ProviderId } from '../shared/models'
import { DEFAULT_OPTIONS } from '../shared/settings'
import { sleepAsync } from '../shared/sleep-async'
import { createRelayClient, type RelayClient } from '../client/relay-client'
import { waitForEditAsync } from '../client/wait-for-edit-async'

/**
 * The two sides of each comparison. Through the relay: the panel's own relay client
 * (client/relay-client.ts) and long-poll (wait-for-edit-async.ts), exactly as the panel calls
 * them. Directly: what a client calling the host itself would send, the same JSON the relay's
 * adapter builds (the reference as a base64 data URI, as both hosts take it).
 */
export const PROMPT = "Replace 'Spring Sale' with 'Summer Sale' while keeping the same font style and color"
export const BENCH_TOKEN = 'bench-token-0123456789abcdef'
export const HOST_KEY = 'bench-host-key-0123456789'
/** What the panel waits between polls of a host itself (@fal-ai/client's default interval). */
export const CLIENT_POLL_MS = 500

export interface Reference {
  bytes: Uint8Array
  width: number
  height: number
}

const dataUri = (bytes: Uint8Array): string => `data:image/png;base64,${Buffer.from(bytes).toString('base64')}`

export function relayClient(baseUrl: string, fetchImpl: typeof fetch = fetch): RelayClient {
  return createRelayClient({ baseUrl, token: BENCH_TOKEN, fetch: fetchImpl })
}

/** One edit through the relay, as the panel makes it: upload, long-poll, download. Returns the result bytes. */
export async function editThroughRelayAsync(relay: RelayClient, reference: Reference, provider: ProviderId): Promise<Uint8Array> {
  const capabilities = catalogueCapabilities(provider, DEFAULT_OPTIONS.model)!
  const request = toEditRequest(PROMPT, DEFAULT_OPTIONS, capabilities, provider)
  const signal = new AbortController().signal
  const created = await relay.createEditAsync(
    request,
    [{ bytes: reference.bytes, contentType: 'image/png', name: 'reference-1.png' }],
    signal
  )
  const job = await waitForEditAsync(relay, created.id, { signal, sleepAsync, now: Date.now })
  if (job.status !== 'succeeded') throw new Error(`relay edit ended ${job.status}: ${job.error?.code} ${job.error?.message}`)
  return relay.fetchImageAsync(job.images[0]!.url, signal)
}

/** One edit straight to the Runware-speaking host: one POST, the result as base64 in the answer. */
export async function editDirectRunwareAsync(hostUrl: string, reference: Reference): Promise<Uint8Array> {
  const task = {
    taskType: 'imageInference',
    taskUUID: randomUUID(),
    model: 'bfl:4@1',
    positivePrompt: PROMPT,
    inputs: { referenceImages: [dataUri(reference.bytes)] },
    width: 1248,
    height: 832,
    numberResults: 1,
    outputType: 'base64Data',
    outputFormat: 'PNG',
    includeCost: true,
    providerSettings: { bfl: { promptUpsampling: false, safetyTolerance: 2 } }
  }
  const response = await fetch(`${hostUrl}/v1`, {
    method: 'POST',
    headers: { authorization: `Bearer ${HOST_KEY}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify([task])
  })
  if (!response.ok) throw new Error(`host answered ${response.status}`)
  const body = (await response.json()) as { data: Array<{ imageBase64Data: string }> }
  return new Uint8Array(Buffer.from(body.data[0]!.imageBase64Data, 'base64'))
}

export interface FalRoute {
  /** The host's queue origin (FAL_QUEUE_URL). */
  queueUrl: string
  /** Through @fal-ai/server-proxy: its URL and the bearer token it checks. Direct when absent. */
  proxy?: { url: string; token: string }
}

/**
 * One edit on fal's queue as @fal-ai/client makes it: submit, poll the status URL at once and then
 * every 500 ms, fetch the output, download the image from the CDN. Through the proxy, every queue
 * call goes to the proxy with `x-fal-target-url`; the CDN download goes straight to the CDN, as a
 * browser's does with fal.media URLs.
 */
export async function editOnFalQueueAsync(route: FalRoute, reference: Reference): Promise<Uint8Array> {
  const call = (url: string, init: RequestInit = {}): Promise<Response> =>
    route.proxy === undefined
      ? fetch(url, {
          ...init,
          headers: { ...(init.headers as Record<string, string>), authorization: `Key ${HOST_KEY}`, accept: 'application/json' }
        })
      : fetch(route.proxy.url, {
          ...init,
          headers: {
            ...(init.headers as Record<string, string>),
            authorization: `Bearer ${route.proxy.token}`,
            'x-fal-target-url': url,
            accept: 'application/json'
          }
        })
  const input = {
    prompt: PROMPT,
    image_url: dataUri(reference.bytes),
    aspect_ratio: '3:2',
    num_images: 1,
    output_format: 'png',
    safety_tolerance: '2',
    enhance_prompt: false
  }
  const submitted = await call(`${route.queueUrl}/fal-ai/flux-pro/kontext/max`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input)
  })
  if (!submitted.ok) throw new Error(`fal submit answered ${submitted.status}: ${await submitted.text()}`)
  const job = (await submitted.json()) as { status_url: string; response_url: string }
  for (;;) {
    const status = await call(job.status_url)
    const body = (await status.json()) as { status: string }
    if (body.status === 'COMPLETED') break
    await new Promise((resolve) => setTimeout(resolve, CLIENT_POLL_MS))
  }
  const output = (await (await call(job.response_url)).json()) as { images: Array<{ url: string }> }
  const image = await fetch(output.images[0]!.url)
  return new Uint8Array(await image.arrayBuffer())
}

/** Edits run again after a connection error, over the whole benchmark (reported in the summary). */
export const loadStats = { retried: 0 }

/**
 * Runs `count` edits, `concurrency` at a time; returns each edit's milliseconds, in completion
 * order. `spreadMs`: the workers start that far apart in all (worker i after i × spreadMs ÷
 * concurrency), as independent designers do, instead of all in the same millisecond; with a fixed
 * host latency, edits started together would otherwise stay in lockstep bursts for ever.
 */
export async function runLoadAsync(count: number, concurrency: number, edit: () => Promise<unknown>, spreadMs = 0): Promise<number[]> {
  const times: number[] = []
  let started = 0
  const worker = async (index: number): Promise<void> => {
    if (spreadMs > 0) await new Promise((resolve) => setTimeout(resolve, (index * spreadMs) / concurrency))
    while (started < count) {
      started += 1
      for (let attempt = 1; ; attempt += 1) {
        const t0 = performance.now()
        try {
          await edit()
          times.push(performance.now() - t0)
          break
        } catch (error) {
          // A keep-alive connection the server closed just as it was reused: count it and run the edit again.
          if (attempt >= 3 || !(error instanceof TypeError && error.message === 'fetch failed')) throw error
          loadStats.retried += 1
        }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, (_, index) => worker(index)))
  return times
}
