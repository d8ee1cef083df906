import type { HostConfig } from '../../config'
import type { Provider, ProviderDeps, ProviderEditInput, ProviderFactory, ProviderResult } from '../provider'
import { runVariantsAsync } from '../shared/run-variants-async'
import { createReplicateContext, REPLICATE_PROVIDER } from './replicate-context'
import { createReplicateFiles } from './replicate-files'
import { replicateModelOf } from './replicate-model-of'
import { runPredictionAsync } from './run-prediction-async'

/**
 * Replicate (docs/hosts.md, "Replicate"; replicate/replicate-javascript `index.js`,
 * `lib/predictions.js`): `POST {url}/v1/models/{owner}/{name}/predictions` with
 * `{"input":{…}}`, Bearer auth and `Prefer: wait=N`, which holds the answer up to N seconds; a
 * prediction still `starting`/`processing` after that is followed through `urls.get` (never a
 * rebuilt URL). Kontext and FLUX.2 make one image per prediction (the offers' `variantsPerCall` is
 * 1; [klein] has no count field and answers a list of one), so the variant engine
 * (shared/run-variants-async.ts) runs variants as parallel predictions with seed, seed+1, ….
 * Results are downloaded at once (Replicate deletes them after an hour).
 *
 * References above 1 MB are uploaded to Replicate's Files API first and passed as the file's URL,
 * as Replicate's client does (replicate-files.ts); smaller ones go inline. Either way once per edit,
 * before any prediction, shared by every variant; the uploads are deleted once the edit is over.
 *
 * Which input fields go out is decided by the offer's schema and capabilities (build-replicate-call.ts,
 * replicate-input-schemas.ts), never by the model id. Replicate reports no cost, and does not let the client choose the prediction
 * id, so a submit is sent again only when it cannot have been accepted (submit-prediction-once-async.ts).
 *
 * Cancelling: a prediction is cancelled with `POST urls.cancel` when the edit is cancelled or runs
 * out of time. While `Prefer: wait` holds the submit, the relay does not know the prediction's id
 * yet; if the edit is aborted then, the adapter gives up at once but keeps listening for that
 * answer in the background and cancels the prediction as soon as it learns its id
 * (submit-prediction-async.ts). That is why the hold is short by default (REPLICATE_WAIT_SECONDS,
 * 5 s): a long hold would make a cancellation arrive only after the image was made and billed.
 */
export const createReplicateProvider: ProviderFactory = (host: HostConfig, deps: ProviderDeps): Provider => {
  const context = createReplicateContext(host, deps)
  const files = createReplicateFiles(context.apiUrl, host.key ?? '', deps)
  return {
    id: REPLICATE_PROVIDER,
    async editAsync(input: ProviderEditInput): Promise<ProviderResult> {
      // Checked first, so a request Replicate cannot take fails before anything is uploaded or paid for.
      replicateModelOf(input)
      const uploaded: string[] = []
      try {
        // Settled, not raced: when one upload fails, the others' files are known before they are deleted.
        const settled = await Promise.allSettled(
          input.references.map((reference, index) => files.inputValueAsync(reference, index, input.signal, uploaded))
        )
        const images = settled.map((result) => {
          if (result.status === 'rejected') throw result.reason
          return result.value
        })
        return await runVariantsAsync(input, deps, REPLICATE_PROVIDER, (call) => runPredictionAsync(context, input, images, call))
      } finally {
        files.deleteInBackground(uploaded)
      }
    }
  }
}
