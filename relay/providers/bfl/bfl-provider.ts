import type { HostConfig } from '../../config'
import type { Provider, ProviderDeps, ProviderEditInput, ProviderResult } from '../provider'
import { runVariantsAsync } from '../shared/run-variants-async'
import { BFL_PROVIDER, createBflContext } from './bfl-context'
import { runBflCallAsync } from './run-bfl-call-async'

/**
 * Black Forest Labs' own API (docs/hosts.md, "Black Forest Labs"): `POST {BFL_API_URL}/v1/{offer.hostModelId}` with
 * `x-key` (submit-bfl-task-async.ts), then `GET polling_url` until a final status
 * (follow-bfl-task-async.ts, with the key only where may-receive-bfl-key.ts allows), then download
 * `result.sample` at once (signed, 10 minutes). One image a call, so variants are parallel
 * submissions through the variant engine. No idempotency and no cancel endpoint: a submit is sent
 * again only when BFL cannot have accepted it. FLUX.1 Kontext and FLUX.2 share the flow and the
 * answers; only the body differs, by `offer.schema` (build-bfl-body.ts). FLUX.2's submit reports its
 * per-megapixel `cost` in credits, which becomes the result's cost (run-bfl-call-async.ts).
 */

const MODEL_PATH = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/

export function createBflProvider(host: HostConfig, deps: ProviderDeps): Provider {
  const context = createBflContext(host, deps)
  return {
    id: 'bfl',
    async editAsync(input: ProviderEditInput): Promise<ProviderResult> {
      const path = input.offer.hostModelId
      if (!MODEL_PATH.test(path)) throw context.fail('provider_error', `hostModelId ${JSON.stringify(path)} is not a BFL endpoint path`)
      // BFL has no count field: one image a call, whatever an override says of variantsPerCall.
      const oneImageACall: ProviderEditInput = { ...input, offer: { ...input.offer, variantsPerCall: 1 } }
      return runVariantsAsync(oneImageACall, deps, BFL_PROVIDER, (call) => runBflCallAsync(context, input, path, call))
    }
  }
}
