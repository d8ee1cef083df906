import { bytesToBase64 } from '../../images/bytes-to-base64'
import type { ProviderDeps, ProviderEditInput, ProviderFactory, ProviderResult, ReferenceImage } from '../provider'
import { runVariantsAsync } from '../shared/run-variants-async'
import { inlineMaxBytesOf } from './inline-max-bytes-of'
import { createRunflowApi, type RunflowApi } from './runflow-api'
import { runflowModelPath } from './runflow-model-path'
import { runRunflowCallAsync } from './run-runflow-call-async'
import { uploadRunflowReferenceAsync } from './upload-runflow-reference-async'

/**
 * Runflow (host notes: docs/hosts.md, "Runflow"): `POST /v1/models/{model_id}/runs` with `{input}`
 * and Bearer auth, then `GET /v1/runs/{id}` until a terminal `status_code`; result URLs are
 * presigned and downloaded at once. The input is fal's Kontext schema (build-runflow-input.ts), the
 * answers are read as runflow-answers.ts says, and an edit's variants go through the shared variant
 * engine, one run per `variantsPerCall` images (run-runflow-call-async.ts).
 *
 * References are uploaded once per edit, before the runs (upload-runflow-reference-async.ts). Inline
 * data URIs are not confirmed for models (the SDK's 0.1.0 CHANGELOG says models rejected them with
 * a 422), so they are sent only for references smaller than RUNFLOW_INLINE_MAX_BYTES (default 0:
 * never).
 */

function dataUri(reference: ReferenceImage): string {
  return `data:${reference.contentType};base64,${bytesToBase64(reference.bytes)}`
}

/** Each reference as the run input names it: inline when small enough, else an uploaded asset's ref. */
function referenceUrlsAsync(
  api: RunflowApi,
  references: readonly ReferenceImage[],
  inlineMaxBytes: number,
  signal: AbortSignal
): Promise<string[]> {
  return Promise.all(
    references.map(async (reference, index) =>
      reference.bytes.byteLength < inlineMaxBytes ? dataUri(reference) : uploadRunflowReferenceAsync(api, reference, index, signal)
    )
  )
}

export const createRunflowProvider: ProviderFactory = (host, deps: ProviderDeps) => {
  const api = createRunflowApi(host, deps)
  const inlineMaxBytes = inlineMaxBytesOf(host)
  return {
    id: 'runflow',
    async editAsync(input: ProviderEditInput): Promise<ProviderResult> {
      const modelPath = runflowModelPath(input.offer, input.references.length)
      const images = await referenceUrlsAsync(api, input.references, inlineMaxBytes, input.signal)
      return runVariantsAsync(input, deps, 'runflow', (call) => runRunflowCallAsync(api, input, { modelPath, images }, call))
    }
  }
}
