import * as z from 'zod'
import { Optional, OptionalHttpUrl } from '../../env-fields'
import { defineHost, keyedHostConfig } from '../host-definition'
import { createComfyuiProvider } from './comfyui-provider'

/** Self-hosted: enabled by its URL, no key. It answers a few kB of JSON: the default answer cap holds. */
export const comfyuiHost = defineHost({
  id: 'comfyui',
  env: z.object({
    COMFYUI_URL: OptionalHttpUrl,
    // Each model's workflow file (workflow-files.ts): FLUX.1 Kontext [dev]'s, FLUX.2 [dev]'s.
    COMFYUI_WORKFLOW_FILE: Optional,
    COMFYUI_FLUX2_WORKFLOW_FILE: Optional
  }),
  config: (env) => ({
    ...keyedHostConfig(undefined, env.COMFYUI_URL ?? 'http://127.0.0.1:8188', {
      COMFYUI_WORKFLOW_FILE: env.COMFYUI_WORKFLOW_FILE,
      COMFYUI_FLUX2_WORKFLOW_FILE: env.COMFYUI_FLUX2_WORKFLOW_FILE
    }),
    enabled: env.COMFYUI_URL !== undefined
  }),
  createProvider: createComfyuiProvider
})
