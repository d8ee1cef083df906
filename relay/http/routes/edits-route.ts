import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { AppError } from '../../../shared/errors'
import { modelsOf, PROVIDERS, ProviderId, type ModelId, type ModelOffer } from '../../../shared/models'
import { MAX_WAIT_SECONDS, ROUTES, type EditCreated } from '../../../shared/relay-api'
import type { AppDeps } from '../../app'
import type { RelayConfig } from '../../config'
import { resolveOffer } from '../../resolve-offer'
import type { AppEnv } from '../app-env'
import { checkAgainstOffer } from '../check-against-offer'
import { holdEditPlace } from '../hold-edit-place'
import { parseEditFormAsync } from '../parse-edit-form-async'
import { rateLimit } from '../rate-limit'
import { toEditJob } from '../to-edit-job'

/** The host an edit goes to (the request's, else the relay's default) and its offer of the model. */
function chooseOffer(
  config: RelayConfig,
  configured: readonly ProviderId[],
  asked: ProviderId | undefined,
  model: ModelId
): { provider: ProviderId; offer: ModelOffer } {
  const provider = asked ?? config.defaultProvider
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
  const offer = resolveOffer(config, provider, model)
  if (offer === undefined) {
    throw new AppError(
      'invalid_request',
      `${PROVIDERS[provider].name} does not serve ${model}. Available: ${modelsOf(provider).join(', ')}.`
    )
  }
  return { provider, offer }
}

/** `POST /v1/edits`, `GET /v1/edits/:id`, its images, and `DELETE /v1/edits/:id`, behind the token check. */
export function editsRoute(config: RelayConfig, deps: AppDeps, configured: readonly ProviderId[]): Hono<AppEnv> {
  const edits = new Hono<AppEnv>()
  edits.post(
    ROUTES.edits,
    rateLimit(deps),
    bodyLimit({
      maxSize: config.maxRequestBytes,
      onError: () => {
        throw new AppError(
          'payload_too_large',
          `The request is larger than this relay accepts (${Math.round(config.maxRequestBytes / 1048576)} MB).`
        )
      }
    }),
    holdEditPlace(deps.jobs, config.maxRequestBytes),
    async (c) => {
      const { request, references } = await parseEditFormAsync(c.req.raw, { availableProviders: configured, images: deps.images })
      const { provider, offer } = chooseOffer(config, configured, request.provider, request.model)
      checkAgainstOffer(request, references, provider, request.model, offer)
      const job = await deps.jobs.createAsync({
        account: c.get('account'),
        provider,
        model: request.model,
        offer,
        request,
        references,
        hold: c.get('editHold')
      })
      const body: EditCreated = { id: job.id, status: job.status }
      c.header('Location', ROUTES.edit(job.id))
      return c.json(body, 202)
    }
  )

  edits.get(`${ROUTES.edits}/:id`, async (c) => {
    const waitParam = c.req.query('wait')
    const waitSeconds = waitParam === undefined ? 0 : Number(waitParam)
    if (!Number.isFinite(waitSeconds) || waitSeconds < 0 || waitSeconds > MAX_WAIT_SECONDS) {
      throw new AppError('invalid_request', `wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}.`)
    }
    const job = await deps.jobs.waitAsync(c.req.param('id'), c.get('account').owner, waitSeconds * 1000, c.req.raw.signal)
    return c.json(toEditJob(job, deps.now()))
  })

  edits.get(`${ROUTES.edits}/:id/images/:index`, async (c) => {
    const indexText = c.req.param('index')
    // Stryker disable next-line Regex: an edit has at most MAX_VARIANTS (4) images, so 10 to 99 is not_found as NaN is
    const index = /^\d{1,2}$/.test(indexText) ? Number(indexText) : Number.NaN
    const image = await deps.jobs.getImageAsync(c.req.param('id'), c.get('account').owner, index)
    c.header('Cache-Control', 'private, max-age=3600, immutable')
    return c.body(image.bytes.slice().buffer, 200, { 'Content-Type': image.contentType })
  })

  edits.delete(`${ROUTES.edits}/:id`, async (c) =>
    c.json(toEditJob(await deps.jobs.cancelAsync(c.req.param('id'), c.get('account').owner), deps.now()))
  )
  return edits
}
