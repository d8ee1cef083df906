import * as z from 'zod'
import { HttpUrl, Optional } from '../../env-fields'
import { BASE64_ANSWER_MAX_BYTES, defineHost, keyedHostConfig } from '../host-definition'
import { createRunwareProvider } from './runware-provider'

export const runwareHost = defineHost({
  id: 'runware',
  env: z.object({
    RUNWARE_API_KEY: Optional,
    RUNWARE_API_URL: HttpUrl.default('https://api.runware.ai/v1'),
    // sync: one round trip for a single image; async: always submit and poll with getResponse.
    RUNWARE_DELIVERY: z.enum(['auto', 'async']).default('auto')
  }),
  config: (env) => keyedHostConfig(env.RUNWARE_API_KEY, env.RUNWARE_API_URL, { RUNWARE_DELIVERY: env.RUNWARE_DELIVERY }),
  createProvider: createRunwareProvider,
  answerMaxBytes: BASE64_ANSWER_MAX_BYTES
})
