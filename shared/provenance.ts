import * as z from 'zod/mini'
import { AreaProvenance } from './area/area-geometry'
import { AspectRatio } from './aspect-ratios'
import { ModelId, ProviderId } from './models'
import { OutputFormat } from './relay-api'

/** Stored with setPluginData on every placed result (well under the 100 kB an entry). */
export const PROVENANCE_KEY = 'kontext-edit/provenance'

/** Parsing an edit request with this keeps its settings and drops the rest. */
export const ProvenanceOptions = z.object({
  aspectRatio: z._default(AspectRatio, 'auto'),
  numImages: z._default(z.int(), 1),
  outputFormat: z._default(OutputFormat, 'png'),
  promptUpsampling: z.optional(z.boolean()),
  safetyTolerance: z.optional(z.int()),
  seed: z.optional(z.int().check(z.nonnegative())),
  guidance: z.optional(z.number()),
  steps: z.optional(z.int()),
  outputQuality: z.optional(z.int())
})
export type ProvenanceOptions = z.infer<typeof ProvenanceOptions>

export const Provenance = z.object({
  version: z.literal(1),
  prompt: z.string(),
  provider: ProviderId,
  model: ModelId,
  seed: z.optional(z.int().check(z.nonnegative())),
  /** The settings the relay was sent (what the host actually ran with). */
  options: ProvenanceOptions,
  sourceId: z.string(),
  sourceName: z.string(),
  relayJobId: z.string(),
  variant: z.int().check(z.minimum(1)),
  resultWidth: z.int().check(z.positive()),
  resultHeight: z.int().check(z.positive()),
  createdAt: z.string(),
  /** Set when the reference was itself a Kontext result: the edit this one iterates on. */
  parent: z.optional(z.object({ nodeId: z.string(), relayJobId: z.string() })),
  /** Set for a region edit: the area, the crop, the scales and the drift measured. */
  area: z.optional(AreaProvenance)
})
export type Provenance = z.infer<typeof Provenance>
