import { expect } from 'vitest'
import { EditJob, TERMINAL_STATUSES, type EditRequestInput } from '../../shared/relay-api'
import { makePng } from '../fakes/make-image'

/**
 * The one way tests talk to a relay over its HTTP API, in-process (Hono's `app.request`) or over a
 * socket (`fetch` to a URL): send with a token, post an edit, wait for its end, read an image,
 * cancel, and record every response for the leak check. The harnesses (relay, team, worker,
 * campaign) build on it, so none writes its own polling loop.
 */
export interface RelaySession {
  /** Any request; `Authorization: Bearer <token>` only when a token is given. */
  requestAsync(path: string, init?: RequestInit, token?: string): Promise<Response>
  /** Same, with the session's token unless another is given. */
  authedAsync(path: string, init?: RequestInit, token?: string): Promise<Response>
  /** POSTs a multipart form as it is (for malformed requests). */
  postFormAsync(form: FormData, token?: string): Promise<Response>
  /** POSTs an edit built from a request and references. */
  postEditAsync(request?: EditRequestInput | Record<string, unknown>, images?: readonly Uint8Array[], token?: string): Promise<Response>
  /** POSTs an edit that must be accepted (202) and returns its id. */
  createEditAsync(request?: EditRequestInput | Record<string, unknown>, images?: readonly Uint8Array[], token?: string): Promise<string>
  /** Long-polls `GET /v1/edits/{id}?wait=10` until the job is succeeded, failed or canceled. */
  waitForEndAsync(id: string, token?: string): Promise<EditJob>
  imageAsync(id: string, index: number, token?: string): Promise<Response>
  cancelAsync(id: string, token?: string): Promise<Response>
}

export interface RelaySessionOptions {
  /** How a request reaches the relay. */
  sendAsync(path: string, init: RequestInit): Promise<Response>
  token: string
  /** Called with every response before the test reads it (the leak transcript). */
  recordAsync?(response: Response): Promise<void>
  /** Long polls before waitForEndAsync gives up (default 20, i.e. up to 200 s of holds). */
  maxPolls?: number
}

export const DEFAULT_REQUEST: EditRequestInput = { prompt: 'Make the sky purple, keep everything else' }

/** A small 16:9 PNG reference. */
export const REFERENCE_PNG = makePng(64, 36, 7)

export interface PartSpec {
  bytes: Uint8Array | string
  type?: string
  filename?: string
}

/** The type a browser would send for these bytes: JPEG and WebP by their signature, PNG otherwise. */
function sniffedType(bytes: Uint8Array | string): string {
  if (typeof bytes === 'string') return 'image/png'
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg'
  if (bytes.length >= 12 && Buffer.from(bytes.subarray(8, 12)).toString('latin1') === 'WEBP') return 'image/webp'
  return 'image/png'
}

/** A multipart edit: the `request` part (object → JSON, string → as is) and `image` file parts. */
export function editForm(
  request: EditRequestInput | Record<string, unknown> | string = DEFAULT_REQUEST,
  images: ReadonlyArray<Uint8Array | PartSpec> = [REFERENCE_PNG]
): FormData {
  const form = new FormData()
  form.append('request', typeof request === 'string' ? request : JSON.stringify(request))
  images.forEach((image, index) => {
    const spec: PartSpec = image instanceof Uint8Array ? { bytes: image } : image
    const blob = new Blob([typeof spec.bytes === 'string' ? spec.bytes : new Uint8Array(spec.bytes)], {
      type: spec.type ?? sniffedType(spec.bytes)
    })
    form.append('image', blob, spec.filename ?? `frame-${index + 1}.png`)
  })
  return form
}

/** A response as the leak check reads it: status, every header, the body as latin1 (bytes kept 1:1). */
export async function responseText(response: Response): Promise<string> {
  const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n')
  return `${response.status}\n${headers}\n\n${Buffer.from(await response.clone().arrayBuffer()).toString('latin1')}`
}

export function createRelaySession(options: RelaySessionOptions): RelaySession {
  const maxPolls = options.maxPolls ?? 20

  async function requestAsync(path: string, init: RequestInit = {}, token?: string): Promise<Response> {
    const headers = new Headers(init.headers)
    if (token !== undefined) headers.set('authorization', `Bearer ${token}`)
    const response = await options.sendAsync(path, { ...init, headers })
    await options.recordAsync?.(response)
    return response
  }
  const authedAsync = (path: string, init: RequestInit = {}, token = options.token) => requestAsync(path, init, token)
  const postFormAsync = (form: FormData, token = options.token) => authedAsync('/v1/edits', { method: 'POST', body: form }, token)
  const postEditAsync = (
    request: EditRequestInput | Record<string, unknown> = DEFAULT_REQUEST,
    images: readonly Uint8Array[] = [REFERENCE_PNG],
    token = options.token
  ) => postFormAsync(editForm(request, images), token)

  async function createEditAsync(
    request?: EditRequestInput | Record<string, unknown>,
    images?: readonly Uint8Array[],
    token?: string
  ): Promise<string> {
    const response = await postEditAsync(request, images, token)
    const body = (await response.json()) as { id?: unknown }
    expect(response.status, JSON.stringify(body)).toBe(202)
    expect(typeof body.id).toBe('string')
    return String(body.id)
  }

  async function waitForEndAsync(id: string, token = options.token): Promise<EditJob> {
    for (let poll = 0; poll < maxPolls; poll += 1) {
      const response = await authedAsync(`/v1/edits/${id}?wait=10`, {}, token)
      expect(response.status).toBe(200)
      const job = EditJob.parse(await response.json())
      if (TERMINAL_STATUSES.includes(job.status)) return job
    }
    throw new Error(`job ${id} did not end after ${maxPolls} long polls`)
  }

  return {
    requestAsync,
    authedAsync,
    postFormAsync,
    postEditAsync,
    createEditAsync,
    waitForEndAsync,
    imageAsync: (id, index, token) => authedAsync(`/v1/edits/${id}/images/${index}`, {}, token),
    cancelAsync: (id, token) => authedAsync(`/v1/edits/${id}`, { method: 'DELETE' }, token)
  }
}
