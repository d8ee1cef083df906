import { AppError } from '../../../shared/errors'
import { REPLICATE_PROVIDER, type ReplicateContext } from './replicate-context'

/** A prediction's `urls.*`, checked: the key goes only to Replicate's own API origin, whatever the urls say. */
export function apiUrlOf(context: ReplicateContext, url: string | undefined, what: string): string {
  let parsed: URL
  try {
    parsed = new URL(url ?? '')
  } catch (error) {
    throw new AppError('provider_error', undefined, { detail: `${REPLICATE_PROVIDER}: ${what} is not a URL`, cause: error })
  }
  if (parsed.origin !== context.origin) {
    throw new AppError('provider_error', undefined, {
      detail: `${REPLICATE_PROVIDER}: ${what} is on ${parsed.origin}, not the configured API`
    })
  }
  return parsed.href
}
