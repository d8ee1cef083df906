import * as z from 'zod'
import { HttpUrl, Optional } from '../../env-fields'
import { defineHost, keyedHostConfig } from '../host-definition'
import { createBflProvider } from './bfl-provider'

/** BFL answers a few kB of JSON and hands results over as URLs: the default answer cap holds. */
export const bflHost = defineHost({
  id: 'bfl',
  env: z.object({
    BFL_API_KEY: Optional,
    BFL_API_URL: HttpUrl.default('https://api.bfl.ai')
  }),
  config: (env) => keyedHostConfig(env.BFL_API_KEY, env.BFL_API_URL),
  createProvider: createBflProvider
})
