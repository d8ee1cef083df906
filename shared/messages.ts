import * as z from 'zod'
import { ErrorInfo } from './errors'
import { Provenance } from './provenance'
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
  thumbnail: Bytes.optional(),
  /** Why this node cannot be edited, in plain words; absent when it can. */
  problem: z.string().optional()
})
export type SelectionItem = z.infer<typeof SelectionItem>

export const Reference = z.object({
  sourceId: z.string(),
  name: z.string(),
  /** The node's size on the canvas. */
  width: z.number(),
  height: z.number(),
  png: Bytes,
  /** The exported PNG's pixel size. */
  pixelWidth: z.number().int().positive(),
  pixelHeight: z.number().int().positive()
})
export type Reference = z.infer<typeof Reference>

export const ResultImage = z.object({
  bytes: Bytes,
  contentType: ImageContentType,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  provenance: Provenance
})
export type ResultImage = z.infer<typeof ResultImage>

export const UiToPlugin = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ui-ready') }),
  z.object({ type: z.literal('export-selection'), requestId: z.string() }),
  z.object({ type: z.literal('cancel'), requestId: z.string() }),
  z.object({
    type: z.literal('place-results'),
    requestId: z.string(),
    sourceId: z.string(),
    images: z.array(ResultImage).min(1)
  }),
  z.object({ type: z.literal('save-settings'), settings: Settings }),
  z.object({ type: z.literal('notify'), message: z.string().max(200), error: z.boolean().default(false) })
])
export type UiToPlugin = z.infer<typeof UiToPlugin>
export type UiToPluginInput = z.input<typeof UiToPlugin>

export const PluginToUi = z.discriminatedUnion('type', [
  z.object({ type: z.literal('init'), settings: Settings, selection: z.array(SelectionItem) }),
  z.object({ type: z.literal('selection'), selection: z.array(SelectionItem) }),
  z.object({ type: z.literal('exported'), requestId: z.string(), references: z.array(Reference).min(1) }),
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
