import { Hono } from 'hono'
import { cors } from 'hono/cors'
import { requestId } from 'hono/request-id'
import { secureHeaders } from 'hono/secure-headers'
import { AppError } from '../shared/errors'
import { ROUTES } from '../shared/relay-api'
import type { Account } from './auth/account'
import type { RateLimiter } from './auth/rate-limiter'
import type { RelayConfig } from './config'
import { enabledProviders } from './enabled-providers'
import type { AppEnv } from './http/app-env'
import { errorResponse } from './http/error-response'
import { requireAccount } from './http/require-account'
import { editsRoute } from './http/routes/edits-route'
import { healthRoute } from './http/routes/health-route'
import { modelsRoute } from './http/routes/models-route'
import { usageRoute } from './http/routes/usage-route'
import { lazyTokenIndex, type Sha256 } from './auth/token-index'
import type { ImagePlatform } from './images/image-platform'
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
  /** SHA-256 for looking up tokens (default: WebCrypto's; Node passes node:crypto's). */
  sha256?: Sha256
}

/** What every answer goes through: its id, its log line, CORS, security headers, no caching. */
function useCommonMiddleware(app: Hono<AppEnv>, deps: AppDeps): void {
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
}

/**
 * The relay as a Web-standard fetch handler: the same app runs on Node and on edge runtimes. Each
 * group of routes is its own Hono app (relay/http/routes/), mounted with `app.route` after the
 * middleware that applies to it.
 */
export function createApp(config: RelayConfig, deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const configured = enabledProviders(config)
  useCommonMiddleware(app, deps)

  // One index of the tokens, digested once, for the routes that check a token and for health.
  const tokens = lazyTokenIndex(deps.accounts, deps.sha256)
  app.route('/', healthRoute(config, tokens, configured))
  app.route('/', modelsRoute(config, configured))

  const auth = requireAccount(tokens, (c, account) => c.set('account', account))
  app.use(ROUTES.edits, auth)
  app.use(`${ROUTES.edits}/*`, auth)
  app.use(ROUTES.usage, auth)
  app.route('/', editsRoute(config, deps, configured))
  app.route('/', usageRoute(deps))

  app.notFound(() => {
    throw new AppError('not_found', 'There is nothing at this address. See docs/relay-api.md for the relay’s API.')
  })
  app.onError((error, c) => {
    if (error instanceof AppError && error.code === 'unauthorized') c.header('WWW-Authenticate', 'Bearer realm="kontext-edit"')
    return errorResponse(error, c, (event, fields) => deps.log(event, { ...fields, requestId: c.get('requestId') }))
  })
  return app
}
