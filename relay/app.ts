import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { createMiddleware } from 'hono/factory'
import { requestId } from 'hono/request-id'
import { secureHeaders } from 'hono/secure-headers'
import { timingSafeEqual } from 'hono/utils/buffer'
import { AppError } from '../shared/errors'
import { MODELS, ModelId, modelsOf, PROVIDERS, ProviderId } from '../shared/models'
import { API_VERSION, MAX_WAIT_SECONDS, ROUTES, type EditCreated, type Health, type ModelsResponse } from '../shared/relay-api'
import { enabledProviders, resolveOffer, type RelayConfig } from './config'
import { checkAgainstOffer } from './http/check-against-offer'
import { toCapabilities } from '../shared/capabilities'
import { errorResponse } from './http/error-response'
import { ownerOfAsync } from './http/owner-of'
import { parseEditFormAsync } from './http/parse-edit-form-async'
import { requireToken } from './http/require-token'
import { toEditJob } from './http/to-edit-job'
import type { EditJobs } from './jobs/edit-jobs'

export type Log = (event: string, fields: Record<string, unknown>) => void

export interface AppDeps {
  jobs: EditJobs
  now: () => number
  log: Log
}

type Env = { Variables: { requestId: string; owner: string } }


function bearerOf(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  return match?.[1]
}

async function tokenStatusAsync(header: string | undefined, tokens: readonly string[]): Promise<Health['auth']> {
  const token = bearerOf(header)
  if (token === undefined) return 'missing'
  for (const candidate of tokens) {
    if (await timingSafeEqual(candidate, token)) return 'valid'
  }
  return 'invalid'
}

/** The relay as a Web-standard fetch handler: the same app runs on Node and on edge runtimes. */
export function createApp(config: RelayConfig, deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>()
  const configured = enabledProviders(config)

  app.use('*', requestId())
  app.use('*', async (c, next) => {
    const started = deps.now()
    await next()
    deps.log('http.request', {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: deps.now() - started
    })
  })
  // Figma's plugin iframe has an opaque origin and sends `Origin: null`; access is by bearer
  // token, never cookies, so any origin may call (figma-platform.md §3).
  app.use(
    '*',
    cors({
      origin: '*',
      allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type'],
      exposeHeaders: ['Retry-After', 'X-Request-Id', 'Location'],
      maxAge: 600
    })
  )
  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'cross-origin', crossOriginOpenerPolicy: false }))

  app.get(ROUTES.health, async (c) => {
    const body: Health = {
      status: 'ok',
      apiVersion: API_VERSION,
      auth: await tokenStatusAsync(c.req.header('authorization'), config.tokens),
      defaultProvider: config.defaultProvider ?? null,
      providers: ProviderId.options.map((id) => ({
        id,
        name: PROVIDERS[id].name,
        configured: configured.includes(id),
        models: modelsOf(id)
      })),
      models: ModelId.options.map((id) => ({ id, name: MODELS[id].name, priceUsd: MODELS[id].priceUsd }))
    }
    return c.json(body)
  })

  app.get(ROUTES.models, (c) => {
    const body: ModelsResponse = {
      defaultProvider: config.defaultProvider ?? null,
      providers: ProviderId.options.map((id) => ({
        id,
        name: PROVIDERS[id].name,
        configured: configured.includes(id),
        cancel: PROVIDERS[id].cancel,
        models: modelsOf(id).map((model) => toCapabilities(model, resolveOffer(config, id, model)!))
      }))
    }
    return c.json(body)
  })

  const auth = requireToken(config.tokens)
  const identify = createMiddleware<Env>(async (c, next) => {
    c.set('owner', await ownerOfAsync(bearerOf(c.req.header('authorization')) ?? ''))
    await next()
  })
  app.use(ROUTES.edits, auth, identify)
  app.use(`${ROUTES.edits}/*`, auth, identify)

  app.post(
    ROUTES.edits,
    bodyLimit({
      maxSize: config.maxRequestBytes,
      onError: () => {
        throw new AppError('payload_too_large', `The request is larger than this relay accepts (${Math.round(config.maxRequestBytes / 1048576)} MB).`)
      }
    }),
    async (c) => {
      const { request, references } = await parseEditFormAsync(c.req.raw, { availableProviders: configured })
      const provider = request.provider ?? config.defaultProvider
      if (provider === undefined) {
        throw new AppError(
          'provider_not_configured',
          `This relay has no image host configured. Whoever runs it must set ${ProviderId.options.map((id) => PROVIDERS[id].apiKeyVariable).join(' or ')}.`
        )
      }
      if (!configured.includes(provider)) {
        throw new AppError(
          'invalid_request',
          `The host "${provider}" is not enabled on this relay. Available: ${configured.join(', ') || 'none'}.`
        )
      }
      const offer = resolveOffer(config, provider, request.model)
      if (offer === undefined) {
        throw new AppError('invalid_request', `${PROVIDERS[provider].name} does not serve ${request.model}. Available: ${modelsOf(provider).join(', ')}.`)
      }
      checkAgainstOffer(request, references.length, provider, request.model, offer)
      const job = deps.jobs.create({ owner: c.get('owner'), provider, model: request.model, offer, request, references })
      const body: EditCreated = { id: job.id, status: job.status }
      c.header('Location', ROUTES.edit(job.id))
      return c.json(body, 202)
    }
  )

  app.get(`${ROUTES.edits}/:id`, async (c) => {
    const waitParam = c.req.query('wait')
    const waitSeconds = waitParam === undefined ? 0 : Number(waitParam)
    if (!Number.isFinite(waitSeconds) || waitSeconds < 0 || waitSeconds > MAX_WAIT_SECONDS) {
      throw new AppError('invalid_request', `wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}.`)
    }
    const job = await deps.jobs.waitAsync(c.req.param('id'), c.get('owner'), waitSeconds * 1000, c.req.raw.signal)
    return c.json(toEditJob(job, deps.now()))
  })

  app.get(`${ROUTES.edits}/:id/images/:index`, (c) => {
    const job = deps.jobs.get(c.req.param('id'), c.get('owner'))
    const index = Number(c.req.param('index'))
    const image = Number.isInteger(index) ? job.images[index] : undefined
    if (image === undefined) throw new AppError('not_found', 'This edit has no image with that number.')
    return c.body(image.bytes.slice().buffer, 200, {
      'Content-Type': image.contentType,
      'Cache-Control': 'private, max-age=3600, immutable'
    })
  })

  app.delete(`${ROUTES.edits}/:id`, (c) => c.json(toEditJob(deps.jobs.cancel(c.req.param('id'), c.get('owner')), deps.now())))

  app.notFound(() => {
    throw new AppError('not_found', 'There is nothing at this address. See the README for the relay’s API.')
  })
  app.onError((error, c) => {
    if (error instanceof AppError && error.code === 'unauthorized') c.header('WWW-Authenticate', 'Bearer realm="kontext-edit"')
    return errorResponse(error, c, (event, fields) => deps.log(event, { ...fields, requestId: c.get('requestId') }))
  })
  return app
}
