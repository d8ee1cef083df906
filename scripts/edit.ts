// `npm run edit -- --image frame.png --prompt "…" [--out result.png]`: one edit through the
// relay from the command line, with the same client code as the plugin's UI. With `--area`, a
// region edit: the crop around the area goes to the model and each answer is composited back
// into the full image with the plugin's own code (shared/area/).
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { extname } from 'node:path'
import { parseArgs } from 'node:util'
import * as z from 'zod'
import { inspectImage } from '../relay/images/inspect-image'
import type { AreaDrift } from '../shared/area/area-geometry'
import { areaOutputSizes } from '../shared/area/area-output-sizes'
import { AppError } from '../shared/errors'
import { MAX_REFERENCE_PIXELS } from '../shared/limits'
import { catalogueOfferOf, type ModelId } from '../shared/models'
import { referenceTargetOf } from '../shared/reference-target'
import { EditRequest } from '../shared/relay-api'
import { sleepAsync } from '../shared/sleep-async'
import { createRelayClient } from '../client/relay-client'
import { waitForEditAsync } from '../client/wait-for-edit-async'
import { compositeAreaAnswer } from './area/composite-area-answer'
import { decodePngRgba } from './area/decode-png-rgba'
import { parseAreaOption } from './area/parse-area-option'
import { prepareAreaEdit, type AreaEdit } from './area/prepare-area-edit'

const USAGE = `Usage: npm run edit -- --image frame.png --prompt "Replace 'Spring' with 'Summer'" [options]

Options
  --image FILE       reference image (PNG, JPEG or WebP); repeat for several references
  --prompt TEXT      the instruction (2–3000 characters)
  --out FILE         where to save the result (default result.png; variants get -2, -3, …)
  --variants N       1–4 results (default 1)
  --seed N           fixed seed (default random)
  --aspect RATIO     auto, 21:9, 16:9, 4:3, 3:2, 1:1, 2:3, 3:4, 9:16 or 9:21 (default auto)
  --format F         png or jpeg (default png)
  --model M          kontext-max or kontext-pro (default kontext-max)
  --area X,Y,W,H     edit only this area of the image (in its pixels; one PNG --image): the model sees
                     the area with context around it, and each result is the whole image with only the
                     area changed (PNG, the image's size); prints the colour drift the model added
  --relay URL        relay address (default $RELAY_URL or http://localhost:$PORT, port 8787)
  --token T          access token (default $RELAY_TOKEN, else the local relay's .relay-token)
`

// The shared schemas are zod/mini, which carries no messages of its own: the errors this prints
// (z.prettifyError of an EditRequest) are in zod's English.
z.config(z.locales.en())

function fail(message: string): never {
  process.stderr.write(`${message}\n`)
  process.exit(1)
}

function mainAsync(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env')
  let values
  try {
    values = parseArgs({
      options: {
        image: { type: 'string', multiple: true },
        prompt: { type: 'string' },
        out: { type: 'string', default: 'result.png' },
        variants: { type: 'string' },
        seed: { type: 'string' },
        aspect: { type: 'string' },
        format: { type: 'string' },
        model: { type: 'string' },
        relay: { type: 'string' },
        token: { type: 'string' },
        area: { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    }).values
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`)
  }
  if (values.help === true || values.image === undefined || values.prompt === undefined) fail(USAGE)

  if (values.area !== undefined) checkAreaOptions(values.image, values.aspect, values.format)
  const request = EditRequest.safeParse({
    prompt: values.prompt,
    ...(values.variants === undefined ? {} : { numImages: Number(values.variants) }),
    ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
    ...(values.aspect === undefined ? {} : { aspectRatio: values.aspect }),
    // A region edit's answers are composited pixel by pixel, so they come as PNG (lossless).
    ...(values.format === undefined && values.area === undefined ? {} : { outputFormat: values.format ?? 'png' }),
    ...(values.model === undefined ? {} : { model: values.model })
  })
  if (!request.success) fail(z.prettifyError(request.error))

  const images = values.image.map((path, index) => {
    if (!existsSync(path)) fail(`No such file: ${path}`)
    const bytes = new Uint8Array(readFileSync(path))
    try {
      const { contentType } = inspectImage(bytes, path, MAX_REFERENCE_PIXELS)
      return { bytes, contentType, name: `reference-${index + 1}${extname(path)}` }
    } catch (error) {
      return fail(error instanceof Error ? error.message : String(error))
    }
  })
  const area = values.area === undefined ? undefined : prepareAreaOrFail(values.area, images[0]!, request.data.model)

  const port = process.env.PORT ?? '8787'
  const baseUrl = values.relay ?? process.env.RELAY_URL ?? `http://localhost:${port}`
  const token =
    values.token ??
    process.env.RELAY_TOKEN ??
    process.env.RELAY_TOKENS?.split(',')[0]?.trim() ??
    (existsSync('.relay-token') ? readFileSync('.relay-token', 'utf8').trim() : '')
  const uploads = area === undefined ? images : [{ bytes: area.reference, contentType: 'image/png' as const, name: 'reference-1.png' }]
  return runAsync(baseUrl, token, request.data, uploads, values.out, area)
}

/** What --area cannot go with, refused before anything is read or sent. */
function checkAreaOptions(images: readonly string[], aspect: string | undefined, format: string | undefined): void {
  if (images.length !== 1) fail('--area edits one image: give exactly one --image.')
  if (aspect !== undefined && aspect !== 'auto') fail('--area shapes the crop to the model itself: leave out --aspect.')
  if (format !== undefined && format !== 'png') fail('--area writes PNG results: leave out --format or give --format png.')
}

function prepareAreaOrFail(option: string, image: { bytes: Uint8Array; contentType: string }, model: ModelId): AreaEdit {
  if (image.contentType !== 'image/png') fail('--area needs a PNG --image (the result is the same image with the area changed).')
  const frame = decodePngRgba(image.bytes)
  const area = parseAreaOption(option, frame)
  if (typeof area === 'string') fail(area)
  return prepareAreaEdit(frame, area, areaOutputSizes(undefined, model), referenceTargetOf(catalogueOfferOf(model)))
}

/** The line printed for a region edit's result: the drift the composite removed, and a warning when it was large. */
function describeDrift(drift: AreaDrift): string {
  const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`
  const offset = drift.offsetX === 0 && drift.offsetY === 0 ? '' : `, offset ${drift.offsetX},${drift.offsetY} px`
  const warning = drift.large ? '\n  The model also changed the surroundings; check the edges.' : ''
  return `  drift r ${signed(drift.r)} g ${signed(drift.g)} b ${signed(drift.b)}, residual ${drift.residual.toFixed(1)}${offset}${warning}`
}

async function runAsync(
  baseUrl: string,
  token: string,
  request: EditRequest,
  images: Parameters<ReturnType<typeof createRelayClient>['createEditAsync']>[1],
  out: string,
  area?: AreaEdit
): Promise<void> {
  const relay = createRelayClient({ baseUrl, token, fetch })
  const controller = new AbortController()
  let jobId: string | undefined
  process.on('SIGINT', () => {
    process.stderr.write('\nCanceling…\n')
    controller.abort(new AppError('canceled'))
    const cancel = jobId === undefined ? Promise.resolve() : relay.cancelEditAsync(jobId).then(() => undefined)
    void cancel.catch(() => undefined).finally(() => process.exit(130))
  })
  const started = Date.now()
  process.stderr.write(`Uploading ${images.length} reference${images.length === 1 ? '' : 's'} to ${relay.baseUrl}…\n`)
  const created = await relay.createEditAsync(request, images, controller.signal)
  jobId = created.id
  process.stderr.write(`Edit ${created.id} ${created.status}\n`)
  const job = await waitForEditAsync(relay, created.id, {
    signal: controller.signal,
    sleepAsync,
    now: Date.now,
    onUpdate: (update) => process.stderr.write(`  ${update.status} after ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  })
  if (job.status !== 'succeeded') throw new AppError(job.error?.code ?? 'provider_error', job.error?.message)
  for (const [index, image] of job.images.entries()) {
    const bytes = await relay.fetchImageAsync(image.url, controller.signal)
    const path = index === 0 ? out : out.replace(/(\.[^./]+)?$/, (ext) => `-${index + 1}${ext}`)
    const result = area === undefined ? undefined : compositeAreaAnswer(area, bytes)
    writeFileSync(path, result?.png ?? bytes)
    const [width, height] = area === undefined ? [image.width, image.height] : [area.frame.width, area.frame.height]
    process.stdout.write(`${path}  ${width}×${height}${image.seed === undefined ? '' : `  seed ${image.seed}`}\n`)
    if (result !== undefined) process.stdout.write(`${describeDrift(result.drift)}\n`)
  }
  process.stderr.write(
    `Done in ${((Date.now() - started) / 1000).toFixed(1)} s${job.cost === undefined ? '' : `, cost $${job.cost.toFixed(3)}`}.\n`
  )
}

mainAsync().catch((error: unknown) => {
  if (error instanceof AppError) fail(`${error.message} (${error.code})`)
  fail(String(error))
})
