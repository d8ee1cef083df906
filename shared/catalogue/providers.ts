import type { ProviderId, ProviderSpec } from '../models'
import { BFL } from './bfl'
import { COMFYUI } from './comfyui'
import { FAL } from './fal'
import { REPLICATE } from './replicate'
import { RUNFLOW } from './runflow'
import { RUNWARE } from './runware'

/** Every host, in the order the panel lists them (and the default host is looked for). */
export const PROVIDERS = {
  runware: RUNWARE,
  runflow: RUNFLOW,
  bfl: BFL,
  fal: FAL,
  replicate: REPLICATE,
  comfyui: COMFYUI
} as const satisfies Record<ProviderId, ProviderSpec>
