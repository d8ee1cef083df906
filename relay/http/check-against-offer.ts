import { AppError } from '../../shared/errors'
import { MAX_REFERENCE_PIXELS_BY_MODEL } from '../../shared/limits'
import { MODELS, PROVIDERS, type ModelId, type ModelOffer, type ProviderId, type Range } from '../../shared/models'
import type { EditRequest } from '../../shared/relay-api'

function checkRange(name: string, value: number | undefined, range: Range | null, where: string): string | undefined {
  if (value === undefined) return undefined
  if (range === null) return `${where} has no ${name} setting; leave it out.`
  if (value < range.min || value > range.max) return `${name} must be from ${range.min} to ${range.max} on ${where}.`
  return undefined
}

function megapixels(pixels: number): string {
  return `${(pixels / 1_000_000).toFixed(1)} MP`
}

/**
 * References larger than the model can use are refused, not carried to the host: the host would
 * scale them down anyway, and the relay would hold their bytes (and their base64) for nothing.
 */
function oversizedReferences(
  references: ReadonlyArray<{ width: number; height: number }>,
  model: ModelId,
  offer: ModelOffer
): string | undefined {
  const maxPixels = MAX_REFERENCE_PIXELS_BY_MODEL[model]
  const over = references.flatMap((reference, index) => (reference.width * reference.height > maxPixels ? [{ ...reference, index }] : []))
  if (over.length === 0) return undefined
  const named = over
    .map(
      (reference) =>
        `${references.length === 1 ? 'The image' : `Image ${reference.index + 1}`} is ${reference.width}×${reference.height} (${megapixels(reference.width * reference.height)})`
    )
    .join('; ')
  const works = offer.output.kind === 'fixed' ? ' works at about one megapixel and' : ''
  const sends = offer.referencePixels === 1_000_000 ? 'about 1 MP' : `up to ${megapixels(offer.referencePixels)}`
  return `${named}. ${MODELS[model].name}${works} uses references of at most ${megapixels(maxPixels)}: scale the reference down (the plugin sends ${sends}) and send it again.`
}

/** References that add up to more than the host takes in all (BFL's FLUX.2 [pro]: 9 MP) would be refused there after the upload. */
function tooManyPixels(
  references: ReadonlyArray<{ width: number; height: number }>,
  model: ModelId,
  offer: ModelOffer
): string | undefined {
  const total = references.reduce((sum, reference) => sum + reference.width * reference.height, 0)
  if (references.length < 2 || total <= offer.maxInputPixels) return undefined
  return `The ${references.length} images add up to ${megapixels(total)}; ${MODELS[model].name} takes at most ${megapixels(offer.maxInputPixels)} of references in all: send them smaller (the plugin shares that out among them).`
}

/**
 * Holds a request to what the chosen host offers for the chosen model, before any host call.
 * Each rule names the setting and what is allowed, so a client can correct itself.
 */
export function checkAgainstOffer(
  request: EditRequest,
  references: ReadonlyArray<{ width: number; height: number }>,
  provider: ProviderId,
  model: ModelId,
  offer: ModelOffer
): void {
  const where = `${PROVIDERS[provider].name} (${MODELS[model].name})`
  const tooLarge = oversizedReferences(references, model, offer) ?? tooManyPixels(references, model, offer)
  if (tooLarge !== undefined) throw new AppError('invalid_image', tooLarge)
  const problems = [
    references.length > offer.maxReferences
      ? `${where} takes at most ${offer.maxReferences} reference image${offer.maxReferences === 1 ? '' : 's'}; this request has ${references.length}.`
      : undefined,
    request.numImages > offer.maxVariants ? `${where} makes at most ${offer.maxVariants} variants.` : undefined,
    offer.outputFormats.includes(request.outputFormat)
      ? undefined
      : `${where} returns ${offer.outputFormats.join(', ')}, not ${request.outputFormat}.`,
    request.seed !== undefined && request.seed > offer.seedMax ? `seed must be at most ${offer.seedMax} on ${where}.` : undefined,
    request.promptUpsampling === true && !offer.promptUpsampling
      ? `${where} cannot expand the prompt; leave promptUpsampling out.`
      : undefined,
    checkRange('safetyTolerance', request.safetyTolerance, offer.safetyTolerance, where),
    checkRange('guidance', request.guidance, offer.guidance, where),
    checkRange('steps', request.steps, offer.steps, where),
    checkRange('outputQuality', request.outputQuality, offer.outputQuality, where)
  ].filter((problem): problem is string => problem !== undefined)
  if (problems.length > 0) throw new AppError('invalid_request', problems.join(' '))
}
