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
import type { Account } from './auth/accounts'
import type { RateLimiter } from './auth/rate-limiter'
import { enabledProviders, resolveOffer, type RelayConfig } from './config'
import { checkAgainstOffer } from './http/check-against-offer'
import { holdEditPlace } from './http/hold-edit-place'
import type { EditHold } from './jobs/edit-capacity'
import { toCapabilities } from '../shared/capabilities'
import { errorResponse } from './http/error-response'
import type { ImagePlatform } from './images/image-platform'
import { parseEditFormAsync } from './http/parse-edit-form-async'
import { requireAccount } from './http/require-token'
import { toEditJob } from './http/to-edit-job'
import { usageOfAsync } from './http/usage'
import type { EditJobs } from './jobs/edit-jobs'
import type { Log, LogContext } from './log/relay-log'
import type { RelayStore } from './store/relay-store'

export type { Log } from './log/relay-log'

export interface AppDeps {
  jobs: EditJobs
  store: RelayStore
  /** Every token the relay accepts, with its owner, budget and rate. */
  accounts: Promise<readonly Account[]>
  rateLimiter: RateLimiter
  now: () => number
  log: Log
  /** Puts the request id on every log line written while the request (and the job it starts) runs. */
  logContext?: LogContext
  /** crc32 and inflate for checking uploaded images (default: the portable Web-API ones). */
  images?: ImagePlatform
}

type Env = { Variables: { requestId: string; account: Account; editHold: EditHold } }


function bearerOf(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  return match?.[1]
}

async function tokenStatusAsync(header: string | undefined, accounts: readonly Account[]): Promise<Health['auth']> {
  const token = bearerOf(header)
  if (token === undefined) return 'missing'
  let valid = false
  // Every token is compared, whichever matches, so the time taken says nothing about which.
  for (const account of accounts) {
    if (await timingSafeEqual(account.token, token)) valid = true
  }
  return valid ? 'valid' : 'invalid'
}

/** The relay as a Web-standard fetch handler: the same app runs on Node and on edge runtimes. */
export function createApp(config: RelayConfig, deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>()
  const configured = enabledProviders(config)

  app.use('*', requestId())
  if (deps.logContext !== undefined) {
    const context = deps.logContext
    app.use('*', (c, next) => context.run({ requestId: c.get('requestId') }, next))
  }
  app.use('*', async (c, next) => {
    const started = deps.now()
    await next()
    const account = c.var.account as Account | undefined
    deps.log('http.request', {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ...(account === undefined ? {} : { owner: account.owner }),
      ms: deps.now() - started
    })
  })
  // Figma's plugin iframe has an opaque origin and sends `Origin: null`; access is by bearer
  // token, never cookies, so any origin may call.
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
  // An API: nothing it answers is a page to render or frame. Answers are per token, so no shared cache keeps them.
  app.use(
    '*',
    secureHeaders({
      crossOriginResourcePolicy: 'cross-origin',
      crossOriginOpenerPolicy: false,
      contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] }
    })
  )
  app.use('*', async (c, next) => {
    c.header('Cache-Control', 'no-store')
    await next()
  })

  app.get(ROUTES.health, async (c) => {
    const body: Health = {
      status: 'ok',
      apiVersion: API_VERSION,
      auth: await tokenStatusAsync(c.req.header('authorization'), await deps.accounts),
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

  const auth = requireAccount(deps.accounts, (c, account) => c.set('account', account))
  app.use(ROUTES.edits, auth)
  app.use(`${ROUTES.edits}/*`, auth)
  app.use(ROUTES.usage, auth)

  // The rate counts edits started (POST), before the body is read; polls and downloads are free.
  const rateLimit = createMiddleware<Env>(async (c, next) => {
    const account = c.get('account')
    const decision = await deps.rateLimiter.takeAsync(account.owner, account.requestsPerMinute)
    if (!decision.ok) {
      deps.log('http.rate_limited', { owner: account.owner, requestsPerMinute: account.requestsPerMinute, retryAfterSeconds: decision.retryAfterSeconds })
      throw new AppError(
        'rate_limited',
        `Too many edits: this access token may start ${account.requestsPerMinute} a minute. Try again in ${decision.retryAfterSeconds} second${decision.retryAfterSeconds === 1 ? '' : 's'}.`,
        { retryAfterSeconds: decision.retryAfterSeconds }
      )
    }
    await next()
  })

  app.post(
    ROUTES.edits,
    rateLimit,
    bodyLimit({
      maxSize: config.maxRequestBytes,
      onError: () => {
        throw new AppError('payload_too_large', `The request is larger than this relay accepts (${Math.round(config.maxRequestBytes / 1048576)} MB).`)
      }
    }),
    holdEditPlace(deps.jobs, config.maxRequestBytes),
    async (c) => {
      const { request, references } = await parseEditFormAsync(c.req.raw, { availableProviders: configured, images: deps.images })
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
      checkAgainstOffer(request, references, provider, request.model, offer)
      const job = await deps.jobs.createAsync({ account: c.get('account'), provider, model: request.model, offer, request, references, hold: c.get('editHold') })
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
    const job = await deps.jobs.waitAsync(c.req.param('id'), c.get('account').owner, waitSeconds * 1000, c.req.raw.signal)
    return c.json(toEditJob(job, deps.now()))
  })

  app.get(`${ROUTES.edits}/:id/images/:index`, async (c) => {
    const indexText = c.req.param('index')
    const index = /^\d{1,2}$/.test(indexText) ? Number(indexText) : Number.NaN
    const image = await deps.jobs.getImageAsync(c.req.param('id'), c.get('account').owner, index)
    c.header('Cache-Control', 'private, max-age=3600, immutable')
    return c.body(image.bytes.slice().buffer, 200, { 'Content-Type': image.contentType })
  })

  app.delete(`${ROUTES.edits}/:id`, async (c) => c.json(toEditJob(await deps.jobs.cancelAsync(c.req.param('id'), c.get('account').owner), deps.now())))

  app.get(ROUTES.usage, async (c) => c.json(await usageOfAsync(c.get('account'), c.req.query('day'), { store: deps.store, accounts: await deps.accounts, now: deps.now() })))

  app.notFound(() => {
    throw new AppError('not_found', 'There is nothing at this address. See docs/relay-api.md for the relay’s API.')
  })
  app.onError((error, c) => {
    if (error instanceof AppError && error.code === 'unauthorized') c.header('WWW-Authenticate', 'Bearer realm="kontext-edit"')
    return errorResponse(error, c, (event, fields) => deps.log(event, { ...fields, requestId: c.get('requestId') }))
  })
  return app
}
