import * as z from 'zod'
import { AreaProvenance } from './area/area-geometry'
import { AspectRatio } from './aspect-ratios'
import { ModelId, ProviderId } from './models'
import { OutputFormat } from './relay-api'

/** Stored with setPluginData on every placed result (well under the 100 kB an entry). */
export const PROVENANCE_KEY = 'kontext-edit/provenance'

/** Parsing an edit request with this keeps its settings and drops the rest. */
export const ProvenanceOptions = z.object({
  aspectRatio: AspectRatio.default('auto'),
  numImages: z.number().int().default(1),
  outputFormat: OutputFormat.default('png'),
  promptUpsampling: z.boolean().optional(),
  safetyTolerance: z.number().int().optional(),
  seed: z.number().int().nonnegative().optional(),
  guidance: z.number().optional(),
  steps: z.number().int().optional(),
  outputQuality: z.number().int().optional()
})
export type ProvenanceOptions = z.infer<typeof ProvenanceOptions>

export const Provenance = z.object({
  version: z.literal(1),
  prompt: z.string(),
  provider: ProviderId,
  model: ModelId,
  seed: z.number().int().nonnegative().optional(),
  /** The settings the relay was sent (what the host actually ran with). */
  options: ProvenanceOptions,
  sourceId: z.string(),
  sourceName: z.string(),
  relayJobId: z.string(),
  variant: z.number().int().min(1),
  resultWidth: z.number().int().positive(),
  resultHeight: z.number().int().positive(),
  createdAt: z.string(),
  /** Set when the reference was itself a Kontext result: the edit this one iterates on. */
  parent: z.object({ nodeId: z.string(), relayJobId: z.string() }).optional(),
  /** Set for a region edit: the area, the crop, the scales and the drift measured. */
  area: AreaProvenance.optional()
})
export type Provenance = z.infer<typeof Provenance>
