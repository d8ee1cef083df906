import * as z from 'zod'
import { AspectRatio } from './aspect-ratios'
import { ModelId, ProviderId } from './models'
import { OutputFormat } from './relay-api'

/** Stored with setPluginData on every placed result (well under the 100 kB an entry). */
export const PROVENANCE_KEY = 'kontext-edit/provenance'

export const Provenance = z.object({
  version: z.literal(1),
  prompt: z.string(),
  provider: ProviderId,
  model: ModelId,
  seed: z.number().int().nonnegative().optional(),
  options: z.object({
    aspectRatio: AspectRatio,
    numImages: z.number().int(),
    outputFormat: OutputFormat,
    promptUpsampling: z.boolean(),
    safetyTolerance: z.number().int(),
    seed: z.number().int().nonnegative().optional()
  }),
  sourceId: z.string(),
  sourceName: z.string(),
  relayJobId: z.string(),
  variant: z.number().int().min(1),
  resultWidth: z.number().int().positive(),
  resultHeight: z.number().int().positive(),
  createdAt: z.string()
})
export type Provenance = z.infer<typeof Provenance>
