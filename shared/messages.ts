import { ReferenceTarget } from './reference-target'
import * as z from 'zod/mini'
import { AreaGeometry, AreaOffer, AreaProvenance, AreaRect } from './area/area-geometry'
import { ErrorInfo } from './errors'
import { Provenance, ProvenanceOptions } from './provenance'
import { ImageContentType } from './relay-api'
import { Settings } from './settings'

/**
 * Every message between the sandbox (plugin/) and the iframe (ui/). Both sides parse on receipt
 * with these unions; anything else is logged and ignored.
 */
const Bytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'Expected image bytes')

export const SelectionItem = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  width: z.number(),
  height: z.number(),
  /** Small PNG for the panel; absent when the node cannot be exported. */
  thumbnail: z.optional(Bytes),
  /** Why this node cannot be edited, in plain words; absent when it can. */
  problem: z.optional(z.string()),
  /** The text layers inside it, in reading order (for the typography helper). */
  texts: z._default(z.array(z.object({ id: z.string(), characters: z.string() })), []),
  /** Present when the node is a Kontext Edit result: where it came from. */
  provenance: z.optional(Provenance)
})
export type SelectionItem = z.infer<typeof SelectionItem>

/** An edit the relay is running or has finished, kept until its result is on the canvas. */
export const PendingJob = z.object({
  jobId: z.string(),
  relayUrl: z.string(),
  sourceId: z.string(),
  sourceName: z.string(),
  prompt: z.string(),
  options: ProvenanceOptions,
  createdAt: z.string(),
  parent: Provenance.shape.parent,
  /** A region edit: its answer is blended into the container again (re-exported at `geometry.area`) before it is placed. */
  area: z.optional(AreaProvenance)
})
export type PendingJob = z.infer<typeof PendingJob>

/** One line of this file's edit history, kept in clientStorage (small thumbnail, no full image). */
export const HistoryEntry = z.object({
  jobId: z.string(),
  prompt: z.string(),
  provider: z.string(),
  model: z.string(),
  seed: z.optional(z.int().check(z.nonnegative())),
  costUsd: z.optional(z.number().check(z.nonnegative())),
  elapsedMs: z.number().check(z.nonnegative()),
  createdAt: z.string(),
  sourceName: z.string(),
  nodeIds: z.array(z.string()),
  thumbnail: z.optional(Bytes)
})
export type HistoryEntry = z.infer<typeof HistoryEntry>

/** How the panel was opened: the menu, a relaunch button on a result, or the quick action. */
export const LaunchCommand = z.enum(['open', 'edit-again', 'new-variation', 'quick'])
export type LaunchCommand = z.infer<typeof LaunchCommand>

export const Reference = z.object({
  sourceId: z.string(),
  name: z.string(),
  /** The node's size on the canvas. */
  width: z.number(),
  height: z.number(),
  png: Bytes,
  /** The exported PNG's pixel size. */
  pixelWidth: z.int().check(z.positive()),
  pixelHeight: z.int().check(z.positive())
})
export type Reference = z.infer<typeof Reference>

export const ResultImage = z.object({
  bytes: Bytes,
  contentType: ImageContentType,
  width: z.int().check(z.positive()),
  height: z.int().check(z.positive()),
  provenance: Provenance
})
export type ResultImage = z.infer<typeof ResultImage>

export const UiToPlugin = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ui-ready') }),
  /**
   * Exports the selection, or just `nodeIds` (batch edits and new variations export one source), at
   * the size the chosen model makes use of (`reference`; Kontext's ~1 MP when absent).
   */
  z.object({
    type: z.literal('export-selection'),
    requestId: z.string(),
    nodeIds: z.optional(z.array(z.string())),
    reference: z.optional(ReferenceTarget)
  }),
  /**
   * A region edit: the crop around the area (for the model) and the whole container at full
   * resolution (for the composite). The area is `rect` when given (Edit again on a region result),
   * else what is visible of `nodeIds`; the crop takes the aspect ratio of one of `outputSizes`
   * (none: a model with free sizes, the crop keeps its own) and is exported at about `reference`.
   */
  z.object({
    type: z.literal('export-area'),
    requestId: z.string(),
    containerId: z.string(),
    nodeIds: z.array(z.string()).check(z.minLength(1)),
    rect: z.optional(AreaRect),
    outputSizes: z.array(z.object({ width: z.int().check(z.positive()), height: z.int().check(z.positive()) })),
    reference: z.optional(ReferenceTarget)
  }),
  z.object({ type: z.literal('cancel'), requestId: z.string() }),
  z.object({
    type: z.literal('place-results'),
    requestId: z.string(),
    sourceId: z.string(),
    images: z.array(ResultImage).check(z.minLength(1))
  }),
  z.object({ type: z.literal('save-settings'), settings: Settings }),
  z.object({ type: z.literal('notify'), message: z.string().check(z.maxLength(200)), error: z._default(z.boolean(), false) }),
  z.object({ type: z.literal('remember-job'), job: PendingJob }),
  z.object({ type: z.literal('forget-job'), jobId: z.string() }),
  z.object({ type: z.literal('add-history'), entry: z.omit(HistoryEntry, { thumbnail: true }) }),
  z.object({ type: z.literal('select-nodes'), nodeIds: z.array(z.string()).check(z.minLength(1)) }),
  /** Ends a quick action; the message shows as Figma's closing notification. */
  z.object({ type: z.literal('close'), message: z.optional(z.string().check(z.maxLength(200))) })
])
export type UiToPlugin = z.infer<typeof UiToPlugin>
export type UiToPluginInput = z.input<typeof UiToPlugin>

export const PluginToUi = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('init'),
    settings: Settings,
    selection: z.array(SelectionItem),
    /** Present when the selection sits inside a container: the area “This area only” would edit. */
    area: z.optional(AreaOffer),
    command: z._default(LaunchCommand, 'open'),
    /** The quick action's instruction. */
    instruction: z.optional(z.string()),
    pendingJobs: z._default(z.array(PendingJob), []),
    history: z._default(z.array(HistoryEntry), [])
  }),
  z.object({ type: z.literal('history'), history: z.array(HistoryEntry) }),
  z.object({ type: z.literal('nodes-selected'), found: z.int().check(z.nonnegative()) }),
  z.object({ type: z.literal('selection'), selection: z.array(SelectionItem), area: z.optional(AreaOffer) }),
  z.object({ type: z.literal('exported'), requestId: z.string(), references: z.array(Reference).check(z.minLength(1)) }),
  z.object({
    type: z.literal('area-exported'),
    requestId: z.string(),
    /** The crop, as the model's reference (its sourceId is the container's). */
    reference: Reference,
    /** The container rendered at geometry.frameScale. */
    frame: z.object({ png: Bytes, pixelWidth: z.int().check(z.positive()), pixelHeight: z.int().check(z.positive()) }),
    geometry: AreaGeometry,
    /** Plain-words notes for the outcome (a lower scale for a very large container, …). */
    notes: z._default(z.array(z.string()), [])
  }),
  z.object({ type: z.literal('export-failed'), requestId: z.string(), error: ErrorInfo }),
  z.object({
    type: z.literal('placed'),
    requestId: z.string(),
    nodeIds: z.array(z.string()),
    /** False when the source was gone and the result went to the middle of the view. */
    besideSource: z.boolean()
  }),
  z.object({ type: z.literal('place-failed'), requestId: z.string(), error: ErrorInfo }),
  z.object({ type: z.literal('settings-saved'), settings: Settings })
])
export type PluginToUi = z.infer<typeof PluginToUi>
