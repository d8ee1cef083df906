import { AppError } from '../../shared/errors'
import { MODELS, PROVIDERS, type ModelId, type ModelOffer, type ProviderId, type Range } from '../../shared/models'
import type { EditRequest } from '../../shared/relay-api'

function checkRange(name: string, value: number | undefined, range: Range | null, where: string): string | undefined {
  if (value === undefined) return undefined
  if (range === null) return `${where} has no ${name} setting; leave it out.`
  if (value < range.min || value > range.max) return `${name} must be from ${range.min} to ${range.max} on ${where}.`
  return undefined
}

/**
 * Holds a request to what the chosen host offers for the chosen model, before any host call.
 * Each rule names the setting and what is allowed, so a client can correct itself.
 */
export function checkAgainstOffer(request: EditRequest, references: number, provider: ProviderId, model: ModelId, offer: ModelOffer): void {
  const where = `${PROVIDERS[provider].name} (${MODELS[model].name})`
  const problems = [
    references > offer.maxReferences ? `${where} takes at most ${offer.maxReferences} reference image${offer.maxReferences === 1 ? '' : 's'}; this request has ${references}.` : undefined,
    request.numImages > offer.maxVariants ? `${where} makes at most ${offer.maxVariants} variants.` : undefined,
    offer.outputFormats.includes(request.outputFormat) ? undefined : `${where} returns ${offer.outputFormats.join(', ')}, not ${request.outputFormat}.`,
    request.seed !== undefined && request.seed > offer.seedMax ? `seed must be at most ${offer.seedMax} on ${where}.` : undefined,
    request.promptUpsampling === true && !offer.promptUpsampling ? `${where} cannot expand the prompt; leave promptUpsampling out.` : undefined,
    checkRange('safetyTolerance', request.safetyTolerance, offer.safetyTolerance, where),
    checkRange('guidance', request.guidance, offer.guidance, where),
    checkRange('steps', request.steps, offer.steps, where),
    checkRange('outputQuality', request.outputQuality, offer.outputQuality, where)
  ].filter((problem): problem is string => problem !== undefined)
  if (problems.length > 0) throw new AppError('invalid_request', problems.join(' '))
}
