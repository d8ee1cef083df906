import type * as z from 'zod/mini'
import { AppError } from '../shared/errors'
import {
  EditCreated,
  EditJob,
  ErrorBody,
  Health,
  ModelsResponse,
  ROUTES,
  UsageResponse,
  type EditRequestInput,
  type ImageContentType
} from '../shared/relay-api'

export interface RelayClientOptions {
  baseUrl: string
  token: string
  fetch: typeof fetch
}

export interface UploadImage {
  bytes: Uint8Array
  contentType: ImageContentType
  name: string
}

/** The relay's HTTP API as functions. Every method takes an optional signal that aborts it. */
export interface RelayClient {
  /** The relay's address, without a trailing slash. */
  readonly baseUrl: string
  healthAsync(signal?: AbortSignal): Promise<Health>
  modelsAsync(signal?: AbortSignal): Promise<ModelsResponse>
  /** Today's use for this token (spend, budget left); an operator sees every owner. */
  usageAsync(signal?: AbortSignal): Promise<UsageResponse>
  createEditAsync(request: EditRequestInput, images: ReadonlyArray<UploadImage>, signal?: AbortSignal): Promise<EditCreated>
  /** Long-polls up to `waitSeconds` for the job to change. */
  getEditAsync(id: string, waitSeconds: number, signal?: AbortSignal): Promise<EditJob>
  cancelEditAsync(id: string, signal?: AbortSignal): Promise<EditJob>
  /** `url` is the path the relay gave in EditJob.images. */
  fetchImageAsync(url: string, signal?: AbortSignal): Promise<Uint8Array>
}

/**
 * The relay client for the plugin UI, the command-line client and the benchmark alike. Answers
 * are parsed with the shared schemas; failures become AppError with a plain message.
 */
export function createRelayClient(options: RelayClientOptions): RelayClient {
  const base = options.baseUrl.replace(/\/+$/, '')

  async function sendAsync(path: string, init: RequestInit & { signal?: AbortSignal | undefined }): Promise<Response> {
    const headers = new Headers(init.headers)
    if (options.token !== '') headers.set('authorization', `Bearer ${options.token}`)
    try {
      return await options.fetch(`${base}${path}`, { ...init, headers })
    } catch (error) {
      if (init.signal?.aborted === true) throw init.signal.reason
      throw new AppError('relay_unreachable', undefined, { cause: error })
    }
  }

  async function readJsonAsync<T extends z.ZodMiniType>(response: Response, schema: T): Promise<z.infer<T>> {
    let body: unknown
    try {
      body = await response.json()
    } catch {
      throw new AppError('relay_incompatible', undefined, { detail: `${response.status} with a body that is not JSON` })
    }
    if (!response.ok) {
      const error = ErrorBody.safeParse(body)
      if (error.success) throw new AppError(error.data.error.code, error.data.error.message)
      throw new AppError('relay_incompatible', undefined, { detail: `${response.status} without the error envelope` })
    }
    const parsed = schema.safeParse(body)
    if (!parsed.success) throw new AppError('relay_incompatible', undefined, { detail: `unexpected ${response.url} body` })
    return parsed.data
  }

  return {
    baseUrl: base,

    async healthAsync(signal?: AbortSignal): Promise<Health> {
      return readJsonAsync(await sendAsync(ROUTES.health, { method: 'GET', signal }), Health)
    },

    async modelsAsync(signal?: AbortSignal): Promise<ModelsResponse> {
      return readJsonAsync(await sendAsync(ROUTES.models, { method: 'GET', signal }), ModelsResponse)
    },

    async usageAsync(signal?: AbortSignal): Promise<UsageResponse> {
      return readJsonAsync(await sendAsync(ROUTES.usage, { method: 'GET', signal }), UsageResponse)
    },

    async createEditAsync(request: EditRequestInput, images: ReadonlyArray<UploadImage>, signal?: AbortSignal): Promise<EditCreated> {
      const form = new FormData()
      form.append('request', JSON.stringify(request))
      for (const image of images) {
        // Bytes travel as file parts, never as base64 inside JSON.
        form.append('image', new Blob([image.bytes.slice()], { type: image.contentType }), image.name)
      }
      return readJsonAsync(await sendAsync(ROUTES.edits, { method: 'POST', body: form, signal }), EditCreated)
    },

    async getEditAsync(id: string, waitSeconds: number, signal?: AbortSignal): Promise<EditJob> {
      const query = waitSeconds > 0 ? `?wait=${waitSeconds}` : ''
      return readJsonAsync(await sendAsync(`${ROUTES.edit(id)}${query}`, { method: 'GET', signal }), EditJob)
    },

    async cancelEditAsync(id: string, signal?: AbortSignal): Promise<EditJob> {
      return readJsonAsync(await sendAsync(ROUTES.edit(id), { method: 'DELETE', signal }), EditJob)
    },

    async fetchImageAsync(url: string, signal?: AbortSignal): Promise<Uint8Array> {
      if (!url.startsWith('/')) throw new AppError('relay_incompatible', undefined, { detail: `image url ${url} is not a relay path` })
      const response = await sendAsync(url, { method: 'GET', signal })
      if (!response.ok) await readJsonAsync(response, ErrorBody)
      try {
        return new Uint8Array(await response.arrayBuffer())
      } catch (error) {
        if (signal?.aborted === true) throw signal.reason
        throw new AppError('relay_unreachable', undefined, { cause: error })
      }
    }
  }
}
