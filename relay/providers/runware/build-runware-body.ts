import type { OutputFormat } from '../../../shared/relay-api'
import { bytesToBase64 } from '../../images/bytes-to-base64'
import { base64Length, writeBase64Into } from '../../images/write-base64-into'
import type { ProviderEditInput } from '../provider'

/**
 * What goes on the wire is read from the offer, never from the model id: `safetyTolerance` /
 * `promptUpsampling` → `providerSettings.bfl`, `steps` → `steps`, `guidance` → `CFGScale`,
 * `outputQuality` → `outputQuality` (docs/hosts.md, "Runware").
 *
 * Runware takes all three of the catalogue's input schemas in one task: Kontext, FLUX.2 and [klein]
 * alike send the references in `inputs.referenceImages`, the planned size as `width` + `height`
 * ("must be used together"; a Kontext size, or FLUX.2's free size on its ×16 grid), and BFL's
 * settings under `providerSettings.bfl` (Runware/sdk-python `runware/types.py`: `IInputs`,
 * `IBlackForestLabsProviderSettings`). What FLUX.2 changes is data in its offers: steps and
 * CFGScale on [flex] only, safety 0–5, `promptUpsampling` only where the model's schema has it.
 * [klein] (`runware:400@4`, `@2`) is Runware's own hosting of the open weights, shaped like Kontext
 * [dev]: `steps` and `CFGScale` always, several results a task, and no `providerSettings` (its
 * schema has none; its offers carry no BFL setting, so none goes out). What the schema decides
 * beyond the offer's data is the delivery (choose-delivery.ts).
 */

const OUTPUT_FORMATS: Record<OutputFormat, 'PNG' | 'JPG' | 'WEBP'> = { png: 'PNG', jpeg: 'JPG', webp: 'WEBP' }

export type RunwareDelivery = 'sync' | 'async'

/** One imageInference task: one variant-engine call of an edit (`numberResults` ≤ the offer's `variantsPerCall`). */
export interface RunwareCall {
  taskUUID: string
  numberResults: number
  seed: number | undefined
  delivery: RunwareDelivery
}

/** The task's fields before and after `inputs`, so the body can be built around the reference bytes. */
function runwareTaskFields(input: ProviderEditInput, call: RunwareCall): { head: Record<string, unknown>; tail: Record<string, unknown> } {
  const { request, size, offer } = input
  const head: Record<string, unknown> = {
    taskType: 'imageInference',
    taskUUID: call.taskUUID,
    model: offer.hostModelId,
    positivePrompt: request.prompt
  }
  const tail: Record<string, unknown> = {
    width: size.width,
    height: size.height,
    numberResults: call.numberResults,
    outputType: 'base64Data',
    outputFormat: OUTPUT_FORMATS[request.outputFormat],
    includeCost: true
  }
  if (call.delivery === 'async') tail.deliveryMethod = 'async'
  if (call.seed !== undefined) tail.seed = call.seed
  if (offer.outputQuality !== null && request.outputQuality !== undefined) tail.outputQuality = request.outputQuality
  if (offer.steps !== null) tail.steps = request.steps ?? offer.steps.default
  if (offer.guidance !== null) tail.CFGScale = request.guidance ?? offer.guidance.default
  // providerSettings.bfl exists only for BFL's own models (Kontext pro/max, FLUX.2): the offer says so by having the settings.
  const bfl: Record<string, unknown> = {}
  if (offer.promptUpsampling) bfl.promptUpsampling = request.promptUpsampling ?? false
  if (offer.safetyTolerance !== null) bfl.safetyTolerance = request.safetyTolerance ?? offer.safetyTolerance.default
  if (Object.keys(bfl).length > 0) tail.providerSettings = { bfl }
  return { head, tail }
}

/** The task as an object (references as data URIs): what `buildRunwareBody` encodes, for tests and logs. */
export function buildRunwareTask(input: ProviderEditInput, call: RunwareCall): Record<string, unknown> {
  const { head, tail } = runwareTaskFields(input, call)
  const referenceImages = input.references.map((ref) => `data:${ref.contentType};base64,${bytesToBase64(ref.bytes)}`)
  return { ...head, inputs: { referenceImages }, ...tail }
}

/**
 * The POST body `[task]` as UTF-8 bytes, the same bytes as `JSON.stringify([buildRunwareTask(…)])`,
 * but with each reference's base64 written straight from its bytes into one buffer: a string of
 * the body (and fetch's UTF-8 copy of it) cost 2.7× the reference per edit (test/campaign/inflight-memory.test.ts).
 * Base64 and a `data:<type>;base64,` prefix need no JSON escaping; the content type is escaped all the same.
 */
export function buildRunwareBody(input: ProviderEditInput, call: RunwareCall): Uint8Array<ArrayBuffer> {
  const { head, tail } = runwareTaskFields(input, call)
  const encoder = new TextEncoder()
  const before = encoder.encode(`[${JSON.stringify(head).slice(0, -1)},"inputs":{"referenceImages":[`)
  const after = encoder.encode(`]},${JSON.stringify(tail).slice(1)}]`)
  const prefixes = input.references.map((ref) => encoder.encode(JSON.stringify(`data:${ref.contentType};base64,`).slice(0, -1)))
  let length = before.byteLength + after.byteLength
  input.references.forEach(
    (ref, index) => (length += prefixes[index]!.byteLength + base64Length(ref.bytes.byteLength) + 1 + (index > 0 ? 1 : 0))
  )
  const body = new Uint8Array(length)
  body.set(before, 0)
  let at = before.byteLength
  input.references.forEach((ref, index) => {
    if (index > 0) at = writeAscii(body, at, ',')
    body.set(prefixes[index]!, at)
    at = writeBase64Into(ref.bytes, body, at + prefixes[index]!.byteLength)
    at = writeAscii(body, at, '"')
  })
  body.set(after, at)
  return body
}

function writeAscii(target: Uint8Array, at: number, char: string): number {
  target[at] = char.charCodeAt(0)
  return at + 1
}
