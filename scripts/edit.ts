// `npm run edit -- --image frame.png --prompt "…" [--out result.png]`: one edit through the
// relay from the command line, with the same client code as the plugin's UI.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { extname } from 'node:path'
import { parseArgs } from 'node:util'
import * as z from 'zod'
import { inspectImage } from '../relay/images/inspect-image'
import { AppError } from '../shared/errors'
import { MAX_REFERENCE_PIXELS } from '../shared/limits'
import { EditRequest } from '../shared/relay-api'
import { sleepAsync } from '../shared/sleep-async'
import { createRelayClient } from '../client/relay-client'
import { waitForEditAsync } from '../client/wait-for-edit-async'

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
  --relay URL        relay address (default $RELAY_URL or http://localhost:$PORT, port 8787)
  --token T          access token (default $RELAY_TOKEN, else the local relay's .relay-token)
`

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
        help: { type: 'boolean', short: 'h' }
      }
    }).values
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`)
  }
  if (values.help === true || values.image === undefined || values.prompt === undefined) fail(USAGE)

  const request = EditRequest.safeParse({
    prompt: values.prompt,
    ...(values.variants === undefined ? {} : { numImages: Number(values.variants) }),
    ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
    ...(values.aspect === undefined ? {} : { aspectRatio: values.aspect }),
    ...(values.format === undefined ? {} : { outputFormat: values.format }),
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

  const port = process.env.PORT ?? '8787'
  const baseUrl = values.relay ?? process.env.RELAY_URL ?? `http://localhost:${port}`
  const token =
    values.token ??
    process.env.RELAY_TOKEN ??
    process.env.RELAY_TOKENS?.split(',')[0]?.trim() ??
    (existsSync('.relay-token') ? readFileSync('.relay-token', 'utf8').trim() : '')
  return runAsync(baseUrl, token, request.data, images, values.out)
}

async function runAsync(
  baseUrl: string,
  token: string,
  request: EditRequest,
  images: Parameters<ReturnType<typeof createRelayClient>['createEditAsync']>[1],
  out: string
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
    writeFileSync(path, bytes)
    process.stdout.write(`${path}  ${image.width}×${image.height}${image.seed === undefined ? '' : `  seed ${image.seed}`}\n`)
  }
  process.stderr.write(
    `Done in ${((Date.now() - started) / 1000).toFixed(1)} s${job.cost === undefined ? '' : `, cost $${job.cost.toFixed(3)}`}.\n`
  )
}

mainAsync().catch((error: unknown) => {
  if (error instanceof AppError) fail(`${error.message} (${error.code})`)
  fail(String(error))
})
