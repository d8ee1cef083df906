import { describeHostBody } from '../shared/host-error'
import { hostFetchAsync, readTextAsync } from '../shared/host-fetch-async'
import { parseJson } from '../shared/parse-json'
import { REPLICATE_PROVIDER, type ReplicateContext } from './replicate-context'
import { replicateErrorFor } from './replicate-error-for'
import { Prediction } from './replicate-prediction'

/**
 * One `GET urls.get`: the prediction, or undefined after a failure worth another poll (the network,
 * a 429, a 5xx, an answer that is not this prediction). Other statuses end the edit.
 */
export async function pollPredictionOnceAsync(
  context: ReplicateContext,
  url: string,
  id: string,
  signal: AbortSignal
): Promise<Prediction | undefined> {
  const { deps } = context
  const fields = { provider: REPLICATE_PROVIDER, predictionId: id }
  const answer = await hostFetchAsync(deps.fetch, url, { headers: { authorization: context.authorization } }, signal)
  if (answer.kind === 'network') {
    deps.log('provider.poll_failed', { ...fields, detail: answer.detail })
    return undefined
  }
  const { response } = answer
  const read = await readTextAsync(response, signal)
  const body = read.ok ? parseJson(read.text) : undefined
  if (!response.ok) {
    const detail = read.ok ? describeHostBody(body, read.text) : read.detail
    if (response.status === 429 || response.status >= 500) {
      deps.log('provider.poll_failed', { ...fields, status: response.status, detail })
      return undefined
    }
    throw replicateErrorFor(response.status, detail)
  }
  const parsed = Prediction.safeParse(body)
  if (!parsed.success || parsed.data.id !== id) {
    deps.log('provider.poll_failed', { ...fields, status: response.status, detail: read.ok ? 'not this prediction' : read.detail })
    return undefined
  }
  return parsed.data
}
