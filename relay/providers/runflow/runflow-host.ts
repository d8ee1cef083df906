import * as z from 'zod'
import { HostModelId, HttpUrl, Optional } from '../../env-fields'
import { BASE64_ANSWER_MAX_BYTES, defineHost, keyedHostConfig } from '../host-definition'
import { createRunflowProvider } from './runflow-provider'

export const runflowHost = defineHost({
  id: 'runflow',
  env: z.object({
    RUNFLOW_API_KEY: Optional,
    RUNFLOW_API_URL: HttpUrl.default('https://api.runflow.io'),
    // Not confirmed in Runflow's public docs (docs/hosts.md, "Runflow"); the defaults follow fal's paths.
    RUNFLOW_MAX_MODEL_ID: HostModelId.default('black-forest-labs/flux-pro/kontext/max'),
    RUNFLOW_MAX_MULTI_MODEL_ID: HostModelId.default('black-forest-labs/flux-pro/kontext/max/multi'),
    RUNFLOW_PRO_MULTI_MODEL_ID: HostModelId.default('black-forest-labs/flux-pro/kontext/multi'),
    // References smaller than this go to Runflow inline as data URIs; 0 uploads every one (models are not confirmed to take data URIs).
    RUNFLOW_INLINE_MAX_BYTES: z.coerce.number().int().min(0).max(52_428_800).default(0)
  }),
  config: (env) =>
    keyedHostConfig(
      env.RUNFLOW_API_KEY,
      env.RUNFLOW_API_URL,
      { RUNFLOW_INLINE_MAX_BYTES: String(env.RUNFLOW_INLINE_MAX_BYTES) },
      {
        'kontext-max': { hostModelId: env.RUNFLOW_MAX_MODEL_ID, multiHostModelId: env.RUNFLOW_MAX_MULTI_MODEL_ID },
        'kontext-pro': { multiHostModelId: env.RUNFLOW_PRO_MULTI_MODEL_ID }
      }
    ),
  createProvider: createRunflowProvider,
  answerMaxBytes: BASE64_ANSWER_MAX_BYTES
})
