import * as z from 'zod'
import { HttpUrl, Optional } from '../../env-fields'
import { BASE64_ANSWER_MAX_BYTES, defineHost, keyedHostConfig } from '../host-definition'
import { createFalProvider } from './fal-provider'

export const falHost = defineHost({
  id: 'fal',
  env: z.object({
    FAL_KEY: Optional,
    FAL_QUEUE_URL: HttpUrl.default('https://queue.fal.run'),
    // fal's storage API (fal-js getRestApiUrl); references above 1 MB are uploaded there. The key goes here too.
    FAL_STORAGE_URL: HttpUrl.default('https://rest.fal.ai')
  }),
  config: (env) => keyedHostConfig(env.FAL_KEY, env.FAL_QUEUE_URL, { FAL_STORAGE_URL: env.FAL_STORAGE_URL }),
  createProvider: createFalProvider,
  answerMaxBytes: BASE64_ANSWER_MAX_BYTES
})
