import type { InputSchema, ModelOffer } from '../../../shared/models'
import type { HostConfig } from '../../config'
import type { ProviderDeps, ProviderEditInput, ProviderFactory, ProviderResult } from '../provider'
import { runVariantsAsync } from '../shared/run-variants-async'
import { checkFalOutputFormat } from './check-fal-output-format'
import { createFalConnection } from './fal-connection'
import { falEndpoint } from './fal-endpoint'
import { FAL_PROVIDER } from './fal-error'
import { createFalStorage } from './fal-storage'
import { runFalCallAsync } from './run-fal-call-async'

/**
 * fal.ai's queue (docs/hosts.md, "fal"; fal-ai/fal-js `libs/client/src/queue.ts`):
 * `POST {FAL_QUEUE_URL}/{endpoint}`, then `GET status_url` until COMPLETED, then
 * `GET response_url`, then the CDN image URLs, downloaded at once. The adapter uses the three URLs
 * fal returns and never builds them: they sit on `{owner}/{app}` only. References above 1 MB go
 * through fal's storage first, as fal's client sends every file (fal-storage.ts).
 *
 * One edit: the checks, the uploads (once, shared by every call), then the variant engine
 * (shared/run-variants-async.ts) runs the calls (run-fal-call-async.ts).
 */

/** fal-js `libs/client/src/config.ts`, `getRestApiUrl()`; FAL_STORAGE_URL overrides it. */
const DEFAULT_FAL_STORAGE_URL = 'https://rest.fal.ai'

/**
 * Images one request makes, by input schema: Kontext's and [klein]'s `num_images` take the offer's
 * count; fal's FLUX.2 partner edits have no count field (fal-js `Flux2MaxEditInput`), so one,
 * whatever an override says.
 */
const IMAGES_PER_REQUEST: Record<InputSchema, (offer: ModelOffer) => number> = {
  kontext: (offer) => offer.variantsPerCall,
  flux2: () => 1,
  'flux2-klein': (offer) => offer.variantsPerCall
}

export const createFalProvider: ProviderFactory = (host: HostConfig, deps: ProviderDeps) => {
  const connection = createFalConnection(host, deps)
  const storage = createFalStorage(host.settings.FAL_STORAGE_URL ?? DEFAULT_FAL_STORAGE_URL, host.key ?? '', deps)
  return {
    id: 'fal',
    async editAsync(input: ProviderEditInput): Promise<ProviderResult> {
      const endpoint = falEndpoint(input)
      // Checked before anything is uploaded: a request fal cannot take costs nothing.
      checkFalOutputFormat(input)
      const images = await Promise.all(input.references.map((reference, index) => storage.imageUrlAsync(reference, index, input.signal)))
      const edit = { ...input, offer: { ...input.offer, variantsPerCall: IMAGES_PER_REQUEST[input.offer.schema](input.offer) } }
      return runVariantsAsync(edit, deps, FAL_PROVIDER, (call) => runFalCallAsync(connection, { input: edit, endpoint, images }, call))
    }
  }
}
