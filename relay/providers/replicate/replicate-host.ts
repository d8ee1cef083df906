import * as z from 'zod'
import { HttpUrl, Optional } from '../../env-fields'
import { BASE64_ANSWER_MAX_BYTES, defineHost, keyedHostConfig } from '../host-definition'
import { createReplicateProvider } from './replicate-provider'

export const replicateHost = defineHost({
  id: 'replicate',
  env: z.object({
    REPLICATE_API_TOKEN: Optional,
    REPLICATE_API_URL: HttpUrl.default('https://api.replicate.com'),
    // How long `Prefer: wait` holds a create; short, because a prediction can be canceled only once its id is known.
    REPLICATE_WAIT_SECONDS: z.coerce.number().int().min(1).max(60).default(5)
  }),
  config: (env) =>
    keyedHostConfig(env.REPLICATE_API_TOKEN, env.REPLICATE_API_URL, { REPLICATE_WAIT_SECONDS: String(env.REPLICATE_WAIT_SECONDS) }),
  createProvider: createReplicateProvider,
  answerMaxBytes: BASE64_ANSWER_MAX_BYTES
})
