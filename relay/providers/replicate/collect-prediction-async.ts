import { AppError } from '../../../shared/errors'
import type { ProviderImage } from '../provider'
import { downloadResultAsync } from '../shared/download-result-async'
import { REPLICATE_PROVIDER, type ReplicateContext } from './replicate-context'
import { isModeration } from './replicate-error-for'
import type { Prediction } from './replicate-prediction'

function errorTextOf(prediction: Prediction): string {
  const { error } = prediction
  if (typeof error === 'string') return error
  return error === undefined || error === null ? '' : JSON.stringify(error)
}

/**
 * The outcome of a finished prediction: its images, downloaded at once (Replicate deletes outputs
 * after an hour), or the mapped error. `output` is one URL or a list of them (the client's
 * `index.d.ts`): Kontext and FLUX.2 [pro]/[max]/[flex] answer one URI string (their output schema,
 * `{"type":"string","format":"uri"}`), FLUX.2 [klein] a list.
 */
export async function collectPredictionAsync(
  context: ReplicateContext,
  prediction: Prediction,
  seed: number | undefined,
  signal: AbortSignal
): Promise<ProviderImage[]> {
  const error = errorTextOf(prediction)
  const detail = `${REPLICATE_PROVIDER} prediction ${prediction.id} ${prediction.status}${error === '' ? '' : `: ${error.slice(0, 300)}`}`
  switch (prediction.status) {
    case 'succeeded': {
      const output = prediction.output
      const urls =
        typeof output === 'string'
          ? [output]
          : Array.isArray(output)
            ? output.filter((item): item is string => typeof item === 'string')
            : []
      if (urls.length === 0) throw new AppError('provider_error', undefined, { detail: `${detail} without an output URL` })
      const images: ProviderImage[] = []
      for (const url of urls) {
        images.push({ bytes: await downloadResultAsync(url, { fetch: context.deps.fetch, signal, hostBaseUrl: context.apiUrl }), seed })
      }
      return images
    }
    case 'failed':
      throw new AppError(isModeration(error) ? 'moderated' : 'provider_error', undefined, { detail })
    // Deadline passed before it started; not charged (docs/hosts.md, "Replicate").
    case 'aborted':
      throw new AppError('timeout', undefined, { detail })
    // Cancelled by someone else (the dashboard): the relay's own cancels rethrow the abort.
    case 'canceled':
      throw new AppError('provider_error', undefined, { detail })
    default:
      throw new AppError('provider_error', undefined, { detail: `${detail} is not finished` })
  }
}
