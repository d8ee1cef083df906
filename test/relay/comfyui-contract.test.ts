/**
 * Contract tests of the ComfyUI adapter: the real relay over HTTP (startHostContractAsync) in front
 * of the strict ComfyUI fake, requests made the way the plugin makes them (multipart `request` +
 * `image` parts, Bearer token), jobs followed with `GET /v1/edits/{id}?wait=10`.
 *
 * Tests run concurrently (each has its own fake and relay) to keep the file fast; nothing asserts
 * on timing.
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { imageSize } from 'image-size'
import { afterAll, describe, expect, it, type TestContext } from 'vitest'
import flux2WorkflowFile from '../../relay/providers/comfyui/flux2-dev-workflow.json'
import defaultWorkflowFile from '../../relay/providers/comfyui/kontext-dev-workflow.json'
import { KONTEXT_DEV_SIZES } from '../../shared/aspect-ratios'
import { nearestSize } from '../../shared/nearest-size'
import { ERROR_MESSAGES } from '../../shared/errors'
import { EditJob, type EditRequestInput } from '../../shared/relay-api'
import { createCallProgress } from '../../relay/providers/comfyui/call-progress'
import type { ProviderProgress } from '../../relay/providers/provider'
import { startFakeComfyuiAsync, type FakeComfyui, type FakeComfyuiOptions, type FakeNode } from '../fakes/comfyui-server'
import { makeJpeg, makePng } from '../fakes/make-image'
import { contractTranscript, expectKeyKeptOut, startHostContractAsync, type HostContract } from '../support/host-contract'
import { startRelayAsync } from '../support/start-relay-async'

const PROMPT = `Make the car red ${Math.random().toString(36).slice(2)}`
const REF = makePng(64, 40, 7)
const REF_2 = makeJpeg(40, 40, 3)
const OUTPUT = nearestSize(KONTEXT_DEV_SIZES, 64, 40)
/** Generous: these wait for real servers on a loaded machine. */
const POLL = { timeout: 8000, interval: 20 }
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function uploadName(bytes: Uint8Array, extension: string): string {
  return `kontext-edit-${createHash('sha256').update(bytes).digest('hex').slice(0, 24)}.${extension}`
}

/** An edit of the one ComfyUI model with this run's instruction, plus what the test sets. */
const edit = (request: Partial<EditRequestInput> = {}): EditRequestInput => ({ model: 'kontext-dev', prompt: PROMPT, ...request })

/** The host contract plus the fake behind it, which the assertions read. */
interface Setup extends HostContract {
  fake: FakeComfyui
  /** The job as it is now (`?wait=0`): the tests watch it move through queued and running. */
  getAsync(id: string): Promise<EditJob>
  /** Requests the fake received on one path (without /api). */
  calls(path: string, method?: string): FakeComfyui['requests'][number][]
}

/**
 * Holds before an edit counts as stuck: every sampler step ends a long poll, so four variants of 20
 * steps need far more than the relay session's default 20.
 */
const MAX_POLLS = 400

async function setupAsync(context: TestContext, fakeOptions: FakeComfyuiOptions = {}, env: Record<string, string> = {}): Promise<Setup> {
  const fake = await startFakeComfyuiAsync({ latencyMs: 5, ...fakeOptions })
  const contract = await startHostContractAsync(
    'comfyui',
    { COMFYUI_URL: fake.url, PROVIDER_TIMEOUT_SECONDS: '10', ...env },
    { closeFakeAsync: () => fake.close(), reference: REF, context, maxPolls: MAX_POLLS }
  )
  return {
    ...contract,
    fake,
    getAsync: (id) => contract.jobAsync(id),
    calls: (path, method) => fake.requests.filter((request) => request.path === path && (method === undefined || request.method === method))
  }
}

/** A 1440×900 frame, as the plugin exports it for FLUX.2 [dev] (the catalogue's referencePixels is about 1 MP). */
const FRAME = makePng(1440, 900, 11)
/** The frame's shape at ≤ 1,048,576 px on the 16-px grid: 1440·900 is over the budget, 1280×800 is 1.6 again. */
const FLUX2_OUTPUT = { width: 1280, height: 800 }
const flux2Edit = (request: Partial<EditRequestInput> = {}): EditRequestInput => edit({ model: 'flux2-dev', ...request })

/** The shipped FLUX.2 [dev] workflow with the values the relay writes (steps and guidance: the offer's defaults). */
function expectedFlux2Graph(values: { name: string; seed: number; steps?: number; guidance?: number }): Record<string, FakeNode> {
  const graph = structuredClone(flux2WorkflowFile.workflow) as unknown as Record<string, FakeNode>
  graph['6']!.inputs.text = PROMPT
  graph['46']!.inputs.image = values.name
  graph['25']!.inputs.noise_seed = values.seed
  graph['48']!.inputs.steps = values.steps ?? 20
  graph['26']!.inputs.guidance = values.guidance ?? 4
  Object.assign(graph['47']!.inputs, FLUX2_OUTPUT)
  Object.assign(graph['48']!.inputs, FLUX2_OUTPUT)
  return graph
}

/** The shipped workflow with the values the relay writes. */
function expectedGraph(values: { name: string; seed: number; steps?: number; guidance?: number }): Record<string, FakeNode> {
  const graph = structuredClone(defaultWorkflowFile.workflow) as unknown as Record<string, FakeNode>
  graph['6']!.inputs.text = PROMPT
  graph['190']!.inputs.image = values.name
  graph['31']!.inputs.seed = values.seed
  graph['31']!.inputs.steps = values.steps ?? 20
  graph['35']!.inputs.guidance = values.guidance ?? 2.5
  graph['27']!.inputs.width = OUTPUT.width
  graph['27']!.inputs.height = OUTPUT.height
  return graph
}

/** Teaches the adapter that this ComfyUI keeps client prompt_ids (one successful edit). */
async function warmUpAsync(setup: Setup): Promise<void> {
  const job = await setup.editAsync(edit({ seed: 1 }))
  if (job.status !== 'succeeded') throw new Error(`warm-up edit ${job.status}`)
}

const promptIds = (fake: FakeComfyui): string[] =>
  fake.requests
    .filter((request) => request.path === '/prompt' && request.method === 'POST')
    .map((request) => (request.json as { prompt_id: string }).prompt_id)

describe.concurrent('ComfyUI through the relay', () => {
  describe('success and the wire format', () => {
    it('uploads the reference, queues the patched workflow with a relay-chosen prompt_id, and returns the PNG', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      const job = await setup.editAsync(edit({ seed: 7 }))

      expect(job).toMatchObject({ status: 'succeeded', provider: 'comfyui', model: 'kontext-dev' })
      expect(job.images).toEqual([
        expect.objectContaining({ width: OUTPUT.width, height: OUTPUT.height, seed: 7, contentType: 'image/png' })
      ])
      expect(imageSize((await setup.imageAsync(job, 0)).bytes)).toMatchObject({ type: 'png', width: OUTPUT.width, height: OUTPUT.height })

      // POST /upload/image: multipart image + type=input + overwrite=false, nothing else.
      const uploads = setup.calls('/upload/image', 'POST')
      const name = uploadName(REF, 'png')
      expect(uploads).toHaveLength(1)
      expect(uploads[0]!.form).toEqual({
        image: { filename: name, type: 'image/png', size: REF.byteLength },
        type: 'input',
        overwrite: 'false'
      })

      // POST /prompt: exactly {prompt, client_id, prompt_id}; the graph is the shipped one, patched.
      const posts = setup.calls('/prompt', 'POST')
      expect(posts).toHaveLength(1)
      const body = posts[0]!.json as { prompt: unknown; client_id: string; prompt_id: string }
      expect(Object.keys(body).sort()).toEqual(['client_id', 'prompt', 'prompt_id'])
      expect(body.prompt_id).toMatch(UUID)
      expect(body.client_id).toMatch(UUID)
      expect(body.prompt).toEqual(expectedGraph({ name, seed: 7 }))
      expect(posts[0]!.contentType).toMatch(/^application\/json/)

      // Followed by /history/{prompt_id}, fetched through /view.
      expect(setup.calls(`/history/${body.prompt_id}`, 'GET').length).toBeGreaterThanOrEqual(1)
      const views = setup.calls('/view', 'GET')
      expect(views).toHaveLength(1)
      expect(views[0]!.query).toEqual({ filename: expect.stringMatching(/^kontext-edit_\d{5}_\.png$/), subfolder: '', type: 'output' })
      expect(setup.fake.accepted).toHaveLength(1)
      expect(setup.fake.duplicatePromptIds).toBe(0)
    })

    it('writes steps and guidance from the request into KSampler and FluxGuidance', async (context) => {
      const setup = await setupAsync(context)
      const job = await setup.editAsync(edit({ seed: 3, steps: 12, guidance: 4 }))
      context.expect(job.status).toBe('succeeded')
      context
        .expect(setup.fake.accepted[0]!.graph)
        .toEqual(expectedGraph({ name: uploadName(REF, 'png'), seed: 3, steps: 12, guidance: 4 }))
    })

    it('makes four variants as four prompts with seeds seed, seed+1, … (wrapping at 2^32), uploading once', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      const job = await setup.editAsync(edit({ numImages: 4, seed: 4_294_967_294 }))

      expect(job.status).toBe('succeeded')
      expect(job.images.map((image) => image.seed)).toEqual([4_294_967_294, 4_294_967_295, 0, 1])
      expect(setup.fake.accepted.map((prompt) => prompt.graph['31']!.inputs.seed as number).sort((a, b) => a - b)).toEqual([
        0, 1, 4_294_967_294, 4_294_967_295
      ])
      expect(new Set(setup.fake.accepted.map((prompt) => prompt.promptId)).size).toBe(4)
      expect(setup.calls('/upload/image')).toHaveLength(1)
      const bytes = await Promise.all(job.images.map((_, index) => setup.imageAsync(job, index)))
      expect(new Set(bytes.map((image) => Buffer.from(image.bytes).toString('base64'))).size).toBe(4)
      expect(setup.fake.duplicatePromptIds).toBe(0)
    })

    it('chains a second LoadImage → FluxKontextImageScale → VAEEncode → ReferenceLatent for two references', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      const job = await setup.editAsync(edit({ seed: 5 }), [REF, REF_2])

      expect(job.status).toBe('succeeded')
      expect(
        setup
          .calls('/upload/image')
          .map((call) => (call.form!.image as { filename: string }).filename)
          .sort()
      ).toEqual([uploadName(REF, 'png'), uploadName(REF_2, 'jpg')].sort())
      const graph = setup.fake.accepted[0]!.graph
      const byClass = (type: string): string[] => Object.keys(graph).filter((id) => graph[id]!.class_type === type)
      expect(
        byClass('LoadImage')
          .map((id) => graph[id]!.inputs.image)
          .sort()
      ).toEqual([uploadName(REF, 'png'), uploadName(REF_2, 'jpg')].sort())
      expect(graph['190']!.inputs.image).toBe(uploadName(REF, 'png'))
      expect(byClass('ReferenceLatent')).toHaveLength(2)
      expect(byClass('FluxKontextImageScale')).toHaveLength(2)
      expect(byClass('VAEEncode')).toHaveLength(2)
      const second = byClass('ReferenceLatent').find((id) => id !== '177')!
      expect(graph[second]!.inputs.conditioning).toEqual(['177', 0])
      expect(graph['35']!.inputs.conditioning).toEqual([second, 0])
      const encode = (graph[second]!.inputs.latent as [string, number])[0]
      const scale = (graph[encode]!.inputs.pixels as [string, number])[0]
      const load = (graph[scale]!.inputs.image as [string, number])[0]
      expect(graph[load]!.inputs.image).toBe(uploadName(REF_2, 'jpg'))
      expect(graph[encode]!.inputs.vae).toEqual(['39', 0])
    })

    it('loads the name ComfyUI returns when the upload name clashes, and reuses an identical upload', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      const name = uploadName(REF, 'png')
      setup.fake.putInput(name, makePng(8, 8, 99))

      const first = await setup.editAsync(edit({ seed: 1 }))
      const second = await setup.editAsync(edit({ seed: 2 }))

      expect([first.status, second.status]).toEqual(['succeeded', 'succeeded'])
      const renamed = name.replace(/\.png$/, ' (1).png')
      expect(setup.fake.accepted.map((prompt) => prompt.graph['190']!.inputs.image)).toEqual([renamed, renamed])
      expect([...setup.fake.uploads.keys()].sort()).toEqual([name, renamed].sort())
    })

    it('reports queued while its prompt waits behind another, and running once it executes', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      setup.fake.failNext({ kind: 'stall' })
      const blocking = await setup.createAsync(edit({ seed: 1 }))
      await expect.poll(() => setup.fake.queue().running.length, POLL).toBe(1)
      // The relay reports "queued" (progress 0) on submit, then "running" (no fraction for one
      // variant) once /queue lists the prompt as running.
      await expect
        .poll(async () => setup.calls('/queue', 'GET').length > 0 && (await setup.getAsync(blocking)).progress === undefined, POLL)
        .toBe(true)
      expect((await setup.getAsync(blocking)).status).toBe('running')
      const waiting = await setup.createAsync(edit({ seed: 2 }))
      await expect.poll(() => setup.fake.queue().pending.length, POLL).toBe(1)
      await expect.poll(async () => (await setup.getAsync(waiting)).progress, POLL).toBe(0)
      await setup.cancelAsync(blocking)
      expect((await setup.endAsync(waiting)).status).toBe('succeeded')
    })
  })

  describe('progress from the websocket', () => {
    it('reports one prompt as queued, then running with no fraction until the sampler reports steps, capped at 99 % and in whole percents', ({
      expect
    }) => {
      const reports: ProviderProgress[] = []
      const progress = createCallProgress((report) => reports.push(report))
      progress.advance('pending')
      progress.advance('pending')
      progress.advance('running')
      progress.advance('pending')
      progress.step(0.123)
      progress.step(0.05)
      progress.step(1)
      progress.advance('done')
      progress.step(1)
      expect(reports).toEqual([
        { status: 'queued' },
        { status: 'running' },
        { status: 'running', fraction: 0.12 },
        { status: 'running', fraction: 0.99 }
      ])
      expect(progress.done).toBe(true)
    })

    it('shows the sampler’s steps as the job’s progress, the variants combined, over one socket with the relay’s client_id', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      // ComfyUI runs one prompt at a time: the first queued holds at step 10 of 20, then the second at step 4.
      setup.fake.failNext({ kind: 'stall', atStep: 10 })
      setup.fake.failNext({ kind: 'stall', atStep: 4 })
      const id = await setup.createAsync(edit({ numImages: 2, seed: 11 }))

      // (10/20 + 0) / 2, then (1 + 4/20) / 2 once the first image is in.
      await expect.poll(async () => (await setup.getAsync(id)).progress, POLL).toBe(0.25)
      expect((await setup.getAsync(id)).status).toBe('running')
      setup.fake.resume()
      await expect.poll(async () => (await setup.getAsync(id)).progress, POLL).toBe(0.6)
      setup.fake.resume()
      const job = await setup.endAsync(id)

      expect(job.status).toBe('succeeded')
      expect(job.progress).toBeUndefined()
      expect(job.images.map((image) => image.seed)).toEqual([11, 12])
      const clientIds = new Set(setup.fake.accepted.map((prompt) => prompt.clientId))
      expect(clientIds.size).toBe(1)
      expect(setup.fake.websockets).toEqual([{ clientId: [...clientIds][0], accepted: true }])
      // Closed once no edit listens.
      await expect.poll(() => setup.fake.openWebsockets(), POLL).toBe(0)
      expect(setup.fake.duplicatePromptIds).toBe(0)
    })

    it('shares the one socket between concurrent edits, each taking only its own prompts’ steps', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      setup.fake.failNext({ kind: 'stall', atStep: 5 })
      setup.fake.failNext({ kind: 'stall' })
      const first = await setup.createAsync(edit({ seed: 1 }))
      await expect.poll(async () => (await setup.getAsync(first)).progress, POLL).toBe(0.25)
      const second = await setup.createAsync(edit({ seed: 2 }))
      await expect.poll(() => setup.fake.queue().pending.length, POLL).toBe(1)
      expect((await setup.getAsync(second)).progress).toBe(0)

      // The first runs its steps 6…20 while the second listens, then the second holds before its first step.
      setup.fake.resume()
      expect((await setup.endAsync(first)).status).toBe('succeeded')
      await expect.poll(() => setup.fake.stalled(), POLL).toEqual([setup.fake.accepted[1]!.promptId])
      // Running (no longer 0, queued) with no fraction: none of the first's steps counted for it.
      await expect.poll(async () => (await setup.getAsync(second)).progress, POLL).toBeUndefined()
      setup.fake.resume()
      expect((await setup.endAsync(second)).status).toBe('succeeded')
      expect(setup.fake.websockets).toHaveLength(1)
    })

    it('succeeds by polling when the websocket is refused', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context, { websocket: 'off' })
      const job = await setup.editAsync(edit({ numImages: 2 }))

      expect(job.status).toBe('succeeded')
      expect(job.images).toHaveLength(2)
      expect(setup.fake.websockets.length).toBeGreaterThanOrEqual(1)
      expect(setup.fake.websockets.every((attempt) => !attempt.accepted)).toBe(true)
      expect(setup.logText()).toMatch(/"event":"provider.progress_socket".*"state":"failed".*404/)
    })

    it('ignores garbage frames, including a false "finished", and succeeds by polling', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context, { websocket: 'garbage' })
      setup.fake.failNext({ kind: 'stall', atStep: 10 })
      const id = await setup.createAsync(edit())
      await expect.poll(() => setup.fake.stalled().length, POLL).toBe(1)
      await expect.poll(() => setup.logText().includes('provider.progress_frame_ignored'), POLL).toBe(true)

      // Nothing usable came: running, with no fraction to show.
      const running = await setup.getAsync(id)
      expect(running.status).toBe('running')
      expect(running.progress).toBeUndefined()
      setup.fake.resume()
      const job = await setup.endAsync(id)
      expect(job.status).toBe('succeeded')
      expect(imageSize((await setup.imageAsync(job, 0)).bytes)).toMatchObject({ type: 'png', width: OUTPUT.width, height: OUTPUT.height })
      expect(setup.fake.accepted).toHaveLength(1)
    })

    it('succeeds by polling when the socket drops mid-run and cannot come back', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      setup.fake.failNext({ kind: 'stall', atStep: 5 })
      const id = await setup.createAsync(edit())
      await expect.poll(async () => (await setup.getAsync(id)).progress, POLL).toBe(0.25)

      setup.fake.setWebsocket('off')
      setup.fake.dropWebsockets()
      await expect.poll(() => setup.logText(), POLL).toMatch(/"event":"provider.progress_socket".*"state":"closed".*"code":1006/)
      setup.fake.resume()
      const job = await setup.endAsync(id)

      expect(job.status).toBe('succeeded')
      expect(setup.fake.accepted).toHaveLength(1)
    })

    it('succeeds by polling when a fully cached run leaves the socket silent', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      const first = await setup.editAsync(edit({ seed: 21 }))
      const again = await setup.editAsync(edit({ seed: 21 }))

      expect([first.status, again.status]).toEqual(['succeeded', 'succeeded'])
      expect(setup.fake.framesFor(setup.fake.accepted[0]!.promptId).length).toBeGreaterThan(20)
      expect(setup.fake.framesFor(setup.fake.accepted[1]!.promptId)).toEqual([])
    })
  })

  describe('failures', () => {
    it('maps a 400 with node_errors to provider_error, with ComfyUI’s text only in the log', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context, { models: { diffusionModels: ['something-else.safetensors'] } })
      const job = await setup.editAsync(edit())

      expect(job.status).toBe('failed')
      expect(job.error).toEqual({ code: 'provider_error', message: ERROR_MESSAGES.provider_error })
      expect(setup.logText()).toMatch(/prompt_outputs_failed_validation.*node 37: value_not_in_list unet_name/)
      expect(setup.calls('/prompt', 'POST')).toHaveLength(1)
      expect(setup.fake.accepted).toHaveLength(0)
    })

    it('maps an execution error in the history to provider_error, and out-of-memory to provider_unavailable', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      setup.fake.failNext({
        kind: 'execution-error',
        exceptionType: 'RuntimeError',
        exceptionMessage: 'mat1 and mat2 shapes cannot be multiplied'
      })
      const failed = await setup.editAsync(edit())
      setup.fake.failNext({ kind: 'execution-error', exceptionType: 'torch.OutOfMemoryError', exceptionMessage: 'Allocation on device' })
      const oom = await setup.editAsync(edit())

      expect(failed.error).toEqual({ code: 'provider_error', message: ERROR_MESSAGES.provider_error })
      expect(oom.error?.code).toBe('provider_unavailable')
      expect(setup.logText()).toContain('mat1 and mat2 shapes cannot be multiplied')
      expect(setup.fake.accepted).toHaveLength(2)
    })

    // The variant engine's policy (relay/providers/shared/run-variants-async.ts): a failed variant
    // stops no sibling, the images that came back are kept, and the edit fails only when none did.
    it('lets the other variants run on when one fails, and keeps their images', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      // ComfyUI runs one prompt at a time: the first queued fails, the second runs after it.
      setup.fake.failNext({ kind: 'execution-error' })
      const job = await setup.editAsync(edit({ numImages: 2 }))

      expect(job.error).toBeUndefined()
      expect(job.status).toBe('succeeded')
      expect(job.images).toHaveLength(1)
      expect(setup.fake.accepted).toHaveLength(2)
      expect(setup.fake.deletes).toEqual([])
      expect(setup.fake.interrupts).toEqual([])
      expect(setup.logText()).toContain('provider.variant_failed')
    })

    it('fails with the first variant’s error when no variant delivered', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      setup.fake.failNext({ kind: 'execution-error' }, 2)
      const job = await setup.editAsync(edit({ numImages: 2 }))

      expect(job.error?.code).toBe('provider_error')
      expect(setup.fake.accepted).toHaveLength(2)
    })

    it('retries a 503 and a 429 (Retry-After: 0) with the same prompt_id and queues it once', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      setup.fake.failNext({ kind: 'status', status: 503, retryAfterSeconds: 0 })
      setup.fake.failNext({ kind: 'status', status: 429, retryAfterSeconds: 0 })
      const job = await setup.editAsync(edit())

      expect(job.status).toBe('succeeded')
      const ids = promptIds(setup.fake)
      expect(ids).toHaveLength(3)
      expect(new Set(ids).size).toBe(1)
      expect(setup.fake.accepted).toHaveLength(1)
    })

    it('after a lost /prompt answer finds the prompt in the queue and follows it instead of submitting again', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      setup.fake.failNext({ kind: 'reset-after-accept' })
      const job = await setup.editAsync(edit())

      expect(job.status).toBe('succeeded')
      expect(setup.calls('/prompt', 'POST')).toHaveLength(1)
      expect(setup.calls('/queue', 'GET').length).toBeGreaterThanOrEqual(1)
      expect(setup.fake.accepted).toHaveLength(1)
      expect(setup.fake.duplicatePromptIds).toBe(0)
    })

    it('after a 500 and a garbled 200 that queued nothing, checks /queue and /history and submits again (once it knows the host keeps prompt_ids)', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      await warmUpAsync(setup)
      setup.fake.failNext({ kind: 'status', status: 500 })
      setup.fake.failNext({ kind: 'malformed' })
      const job = await setup.editAsync(edit())

      expect(job.status).toBe('succeeded')
      const ids = promptIds(setup.fake).slice(1)
      expect(ids).toHaveLength(3)
      expect(new Set(ids).size).toBe(1)
      expect(setup.calls(`/history/${ids[0]}`, 'GET').length).toBeGreaterThanOrEqual(3)
      expect(setup.fake.accepted).toHaveLength(2)
      expect(setup.fake.duplicatePromptIds).toBe(0)
    })

    it('follows the prompt when the resubmit after a dropped /prompt is answered 409 "prompt_id already exists", queued once', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      await warmUpAsync(setup)
      // The connection drops while ComfyUI still validates: /queue and /history do not show the prompt
      // yet, so the relay submits again, and by then ComfyUI has queued the first one.
      setup.fake.failNext({ kind: 'drop-before-queue' })
      const job = await setup.editAsync(edit())

      expect(job.error).toBeUndefined()
      expect(job.status).toBe('succeeded')
      expect(job.images).toHaveLength(1)
      const ids = promptIds(setup.fake).slice(1)
      expect(ids).toHaveLength(2)
      expect(new Set(ids).size).toBe(1)
      // One prompt ran for this edit (plus the warm-up); the resubmit was the 409.
      expect(setup.fake.accepted).toHaveLength(2)
      expect(setup.fake.accepted[1]!.promptId).toBe(ids[0])
      expect(setup.fake.duplicatePromptIds).toBe(1)
      expect(setup.logText()).toContain('provider.prompt_exists')
    })

    it('accepts a history entry whose status is null and takes its image', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      setup.fake.failNext({ kind: 'status-null' })
      const job = await setup.editAsync(edit())

      expect(job.error).toBeUndefined()
      expect(job.status).toBe('succeeded')
      const { bytes: image } = await setup.imageAsync(job, 0)
      expect(imageSize(image)).toMatchObject({ width: OUTPUT.width, height: OUTPUT.height })
      expect(setup.fake.accepted).toHaveLength(1)
    })

    it('does not resubmit after an ambiguous failure before it knows the host keeps prompt_ids', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      setup.fake.failNext({ kind: 'status', status: 500 })
      const job = await setup.editAsync(edit())

      expect(job.error?.code).toBe('provider_unavailable')
      expect(setup.calls('/prompt', 'POST')).toHaveLength(1)
      expect(setup.fake.accepted).toHaveLength(0)
    })

    it('works with an older ComfyUI that ignores prompt_id, and then never resubmits after a lost answer', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context, { honorsPromptId: false })
      const ok = await setup.editAsync(edit())
      expect(ok.status).toBe('succeeded')
      expect(setup.fake.accepted[0]!.promptId).not.toBe(promptIds(setup.fake)[0])
      expect(setup.logText()).toContain('provider.legacy_prompt_id')

      setup.fake.failNext({ kind: 'reset-after-accept' })
      const lost = await setup.editAsync(edit())
      expect(lost.error?.code).toBe('provider_unavailable')
      expect(setup.calls('/prompt', 'POST')).toHaveLength(2)
      expect(setup.fake.duplicatePromptIds).toBe(0)
    })

    it('retries failed /history polls and a failed upload', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      setup.fake.failNext({ kind: 'upload-status', status: 503 })
      setup.fake.failNext({ kind: 'history-malformed' })
      setup.fake.failNext({ kind: 'history-500' })
      const job = await setup.editAsync(edit())

      expect(job.status).toBe('succeeded')
      expect(setup.calls('/upload/image')).toHaveLength(2)
      expect(setup.fake.accepted).toHaveLength(1)
    })

    it('fails with provider_error when the output file is gone or cut short', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      setup.fake.failNext({ kind: 'view-missing' })
      const missing = await setup.editAsync(edit())
      setup.fake.failNext({ kind: 'truncated-image' })
      const truncated = await setup.editAsync(edit())

      expect(missing.error).toEqual({ code: 'provider_error', message: ERROR_MESSAGES.provider_error })
      expect(truncated.error?.code).toBe('provider_error')
      expect(setup.fake.accepted).toHaveLength(2)
    })

    it('times out a /prompt that never answers, and drops the prompt_id from the queue', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context, {}, { PROVIDER_TIMEOUT_SECONDS: '2' })
      setup.fake.failNext({ kind: 'hang' })
      const job = await setup.editAsync(edit())

      expect(job.error?.code).toBe('timeout')
      const [id] = promptIds(setup.fake)
      await expect.poll(() => setup.fake.deletes, POLL).toContain(id)
      expect(setup.fake.accepted).toHaveLength(0)
    })

    it('times out a prompt that never finishes, and interrupts it at the host', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context, {}, { PROVIDER_TIMEOUT_SECONDS: '2' })
      setup.fake.failNext({ kind: 'stall' })
      const job = await setup.editAsync(edit())

      expect(job.error?.code).toBe('timeout')
      const id = setup.fake.accepted[0]!.promptId
      await expect.poll(() => setup.fake.interrupts, POLL).toContain(id)
      expect(setup.fake.interrupted).toEqual([id])
    })

    it('fails with provider_unavailable when ComfyUI is not running', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      await setup.fake.close()
      const job = await setup.editAsync(edit())
      expect(job.error?.code).toBe('provider_unavailable')
    })
  })

  describe('cancel', () => {
    it('interrupts the running prompt and deletes the pending one when the client cancels', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      setup.fake.failNext({ kind: 'stall' })
      const id = await setup.createAsync(edit({ numImages: 2 }))
      await expect.poll(() => setup.fake.queue(), POLL).toEqual({ running: [expect.any(String)], pending: [expect.any(String)] })
      const {
        running: [running],
        pending: [pending]
      } = setup.fake.queue()

      const canceled = await setup.cancelAsync(id)

      expect(canceled.status).toBe('canceled')
      await expect.poll(() => setup.fake.interrupted, POLL).toEqual([running])
      expect(setup.fake.deletes).toEqual(expect.arrayContaining([running, pending]))
      expect(setup.fake.interrupts).toEqual([running])
      expect(setup.fake.queue()).toEqual({ running: [], pending: [] })
      expect((await setup.getAsync(id)).status).toBe('canceled')
    })
  })

  describe('FLUX.2 [dev]', () => {
    it('edits a 1440×900 frame with the shipped FLUX.2 workflow, at the frame’s shape within a megapixel on the 16-px grid', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      const job = await setup.editAsync(flux2Edit({ seed: 7 }), [FRAME])

      expect(job.error).toBeUndefined()
      expect(job).toMatchObject({ status: 'succeeded', provider: 'comfyui', model: 'flux2-dev' })
      const [image] = job.images
      expect(image).toEqual(expect.objectContaining({ ...FLUX2_OUTPUT, seed: 7, contentType: 'image/png' }))
      const { width, height } = image!
      expect(width * height).toBeLessThanOrEqual(1_048_576)
      expect([width % 16, height % 16]).toEqual([0, 0])
      // The frame's 1.6, within one grid step of either side.
      expect(Math.abs(width - height * 1.6)).toBeLessThanOrEqual(16)
      expect(imageSize((await setup.imageAsync(job, 0)).bytes)).toMatchObject({ type: 'png', ...FLUX2_OUTPUT })

      // The template's graph, patched: the prompt, the upload, the seed in RandomNoise, the offer's
      // default steps (Flux2Scheduler) and guidance (FluxGuidance) sent explicitly, and the planned
      // size in both EmptyFlux2LatentImage and Flux2Scheduler.
      const name = uploadName(FRAME, 'png')
      const posts = setup.calls('/prompt', 'POST')
      expect(posts).toHaveLength(1)
      const body = posts[0]!.json as { prompt: Record<string, FakeNode>; client_id: string; prompt_id: string }
      expect(Object.keys(body).sort()).toEqual(['client_id', 'prompt', 'prompt_id'])
      expect(body.prompt).toEqual(expectedFlux2Graph({ name, seed: 7 }))
      expect(Object.values(body.prompt).some((node) => node.class_type === 'KSampler')).toBe(false)
      expect(setup.calls('/view', 'GET')[0]!.query.filename).toMatch(/^kontext-edit-flux2_\d{5}_\.png$/)
      expect(setup.events('provider.ready')).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ model: 'flux2-dev', workflow: 'built-in flux2-dev-workflow.json', referenceSlots: 1 }),
          expect.objectContaining({ model: 'kontext-dev', workflow: 'built-in kontext-dev-workflow.json', referenceSlots: 1 })
        ])
      )
      expect(setup.fake.accepted).toHaveLength(1)
      expect(setup.fake.duplicatePromptIds).toBe(0)
    })

    it('writes the request’s steps into Flux2Scheduler and its guidance into FluxGuidance, for every variant', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      const job = await setup.editAsync(flux2Edit({ seed: 3, steps: 12, guidance: 6.5, numImages: 2 }), [FRAME])

      expect(job.status).toBe('succeeded')
      const graphs = [...setup.fake.accepted]
        .map((prompt) => prompt.graph)
        .sort((a, b) => (a['25']!.inputs.noise_seed as number) - (b['25']!.inputs.noise_seed as number))
      const name = uploadName(FRAME, 'png')
      expect(graphs).toEqual([
        expectedFlux2Graph({ name, seed: 3, steps: 12, guidance: 6.5 }),
        expectedFlux2Graph({ name, seed: 4, steps: 12, guidance: 6.5 })
      ])
    })

    it('chains a second LoadImage → ImageScaleToTotalPixels → VAEEncode → ReferenceLatent before the BasicGuider for two references', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      const job = await setup.editAsync(flux2Edit({ seed: 5 }), [FRAME, REF_2])

      expect(job.status).toBe('succeeded')
      expect(job.images[0]).toMatchObject(FLUX2_OUTPUT)
      const graph = setup.fake.accepted[0]!.graph
      const byClass = (type: string): string[] => Object.keys(graph).filter((id) => graph[id]!.class_type === type)
      for (const type of ['LoadImage', 'ImageScaleToTotalPixels', 'VAEEncode', 'ReferenceLatent'])
        expect(byClass(type), type).toHaveLength(2)
      expect(graph['46']!.inputs.image).toBe(uploadName(FRAME, 'png'))
      const second = byClass('ReferenceLatent').find((id) => id !== '43')!
      // FluxGuidance → ReferenceLatent 43 → the new one → BasicGuider, as ReferenceLatent chains.
      expect(graph['43']!.inputs.conditioning).toEqual(['26', 0])
      expect(graph[second]!.inputs.conditioning).toEqual(['43', 0])
      expect(graph['22']!.inputs.conditioning).toEqual([second, 0])
      const encode = (graph[second]!.inputs.latent as [string, number])[0]
      const scale = (graph[encode]!.inputs.pixels as [string, number])[0]
      const load = (graph[scale]!.inputs.image as [string, number])[0]
      expect(graph[load]!.inputs.image).toBe(uploadName(REF_2, 'jpg'))
      expect(graph[scale]!.inputs).toEqual({ image: [load, 0], upscale_method: 'lanczos', megapixels: 1, resolution_steps: 1 })
      expect(graph[encode]!.inputs.vae).toEqual(['10', 0])
    })

    it('keeps Kontext [dev] on its own workflow beside it', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      const flux2 = await setup.editAsync(flux2Edit({ seed: 1 }), [FRAME])
      const kontext = await setup.editAsync(edit({ seed: 2 }))

      expect([flux2.status, kontext.status]).toEqual(['succeeded', 'succeeded'])
      expect(kontext.images[0]).toMatchObject({ width: OUTPUT.width, height: OUTPUT.height })
      expect(setup.fake.accepted[1]!.graph).toEqual(expectedGraph({ name: uploadName(REF, 'png'), seed: 2 }))
    })
  })

  describe('cancel while the submit is on the wire', () => {
    it('looks again a moment later and stops a prompt queued after the first cancel call', async (context) => {
      const { expect } = context
      const setup = await setupAsync(context)
      setup.fake.failNext({ kind: 'slow-accept', ms: 300, stall: true })
      const id = await setup.createAsync(edit())
      await expect.poll(() => setup.calls('/prompt', 'POST').length, POLL).toBe(1)

      expect((await setup.cancelAsync(id)).status).toBe('canceled')

      await expect.poll(() => setup.fake.accepted.length === 1 && setup.fake.queue(), POLL).toEqual({ running: [], pending: [] })
      expect(setup.fake.interrupted).toEqual([setup.fake.accepted[0]!.promptId])
    })
  })

  describe('the operator’s workflow file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'comfyui-workflow-'))
    afterAll(() => rmSync(dir, { recursive: true, force: true }))
    const write = (name: string, content: unknown): string => {
      const path = join(dir, name)
      writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2))
      return path
    }

    /** The shipped graph renumbered 1…, with two LoadImage slots and the object form of the mapping. */
    function twoSlotWorkflow(): unknown {
      const renumber: Record<string, string> = {
        '37': '1',
        '38': '2',
        '39': '3',
        '190': '4',
        '42': '5',
        '124': '6',
        '6': '7',
        '177': '8',
        '35': '9',
        '135': '10',
        '27': '11',
        '31': '12',
        '8': '13',
        '136': '14'
      }
      const graph: Record<string, FakeNode> = {}
      for (const [id, node] of Object.entries(structuredClone(defaultWorkflowFile.workflow) as unknown as Record<string, FakeNode>)) {
        for (const [input, value] of Object.entries(node.inputs))
          if (Array.isArray(value)) node.inputs[input] = [renumber[value[0] as string], value[1]]
        graph[renumber[id]!] = node
      }
      graph['15'] = { class_type: 'LoadImage', inputs: { image: 'second.png' } }
      graph['16'] = { class_type: 'VAEEncode', inputs: { pixels: ['15', 0], vae: ['3', 0] } }
      graph['17'] = { class_type: 'ReferenceLatent', inputs: { conditioning: ['8', 0], latent: ['16', 0] } }
      graph['9']!.inputs.conditioning = ['17', 0]
      return {
        workflow: graph,
        nodes: {
          prompt: { node: '7', input: 'text' },
          images: ['4', 15],
          seed: '12',
          steps: { node: '12' },
          guidance: '9',
          size: { node: '11' },
          save: 14
        }
      }
    }

    it('uses the operator’s node ids, filling both slots or removing the unused one', async (context) => {
      const { expect } = context
      const file = write('two-slots.json', twoSlotWorkflow())
      const setup = await setupAsync(context, {}, { COMFYUI_WORKFLOW_FILE: file })
      const one = await setup.editAsync(edit({ seed: 9 }))
      const two = await setup.editAsync(edit({ seed: 9 }), [REF, REF_2])

      expect([one.status, two.status]).toEqual(['succeeded', 'succeeded'])
      const [single, double] = setup.fake.accepted.map((prompt) => prompt.graph)
      expect(single!['7']!.inputs.text).toBe(PROMPT)
      expect(single!['4']!.inputs.image).toBe(uploadName(REF, 'png'))
      expect(single!['12']!.inputs).toMatchObject({ seed: 9, steps: 20 })
      expect(single!['11']!.inputs).toMatchObject({ width: OUTPUT.width, height: OUTPUT.height })
      expect(single!['15']).toBeUndefined()
      expect(single!['16']).toBeUndefined()
      expect(single!['17']).toBeUndefined()
      expect(single!['9']!.inputs.conditioning).toEqual(['8', 0])
      expect(double!['15']!.inputs.image).toBe(uploadName(REF_2, 'jpg'))
      expect(double!['9']!.inputs.conditioning).toEqual(['17', 0])
      expect(setup.logText()).toContain(file)
    })

    /**
     * The shipped FLUX.2 graph with the ids ComfyUI's API export gives the template's subgraph nodes
     * ("68:48"), the mapping in its object forms, and the team's own output folder.
     */
    function subgraphFlux2Workflow(): unknown {
      const outer = new Set(['46', '45', '9'])
      const rename = (id: string): string => (outer.has(id) ? id : `68:${id}`)
      const graph: Record<string, FakeNode> = {}
      for (const [id, node] of Object.entries(structuredClone(flux2WorkflowFile.workflow) as unknown as Record<string, FakeNode>)) {
        for (const [input, value] of Object.entries(node.inputs))
          if (Array.isArray(value)) node.inputs[input] = [rename(value[0] as string), value[1]]
        graph[rename(id)] = node
      }
      graph['9']!.inputs.filename_prefix = 'team/flux2'
      return {
        description: 'The team’s FLUX.2 [dev] edit',
        workflow: graph,
        nodes: {
          prompt: { node: '68:6', input: 'text' },
          images: ['46'],
          seed: { node: '68:25', input: 'noise_seed' },
          steps: '68:48',
          guidance: '68:26',
          size: [{ node: '68:47' }, { node: '68:48', width: 'width', height: 'height' }],
          save: '9'
        }
      }
    }

    it('runs FLUX.2 [dev] with the operator’s COMFYUI_FLUX2_WORKFLOW_FILE, and Kontext [dev] with its own shipped one', async (context) => {
      const { expect } = context
      const file = write('flux2-subgraph.json', subgraphFlux2Workflow())
      const setup = await setupAsync(context, {}, { COMFYUI_FLUX2_WORKFLOW_FILE: file })
      const flux2 = await setup.editAsync(flux2Edit({ seed: 9, steps: 28 }), [FRAME, REF_2])
      const kontext = await setup.editAsync(edit({ seed: 9 }))

      expect([flux2.status, kontext.status]).toEqual(['succeeded', 'succeeded'])
      expect(flux2.images[0]).toMatchObject(FLUX2_OUTPUT)
      const [graph, kontextGraph] = setup.fake.accepted.map((prompt) => prompt.graph)
      expect(graph!['68:6']!.inputs.text).toBe(PROMPT)
      expect(graph!['46']!.inputs.image).toBe(uploadName(FRAME, 'png'))
      expect(graph!['68:25']!.inputs.noise_seed).toBe(9)
      expect(graph!['68:48']!.inputs).toEqual({ steps: 28, ...FLUX2_OUTPUT })
      expect(graph!['68:47']!.inputs).toEqual({ ...FLUX2_OUTPUT, batch_size: 1 })
      expect(graph!['68:26']!.inputs.guidance).toBe(4)
      expect(Object.values(graph!).filter((node) => node.class_type === 'LoadImage')).toHaveLength(2)
      expect(setup.calls('/view', 'GET')[0]!.query).toMatchObject({ subfolder: 'team', type: 'output' })
      expect(kontextGraph).toEqual(expectedGraph({ name: uploadName(REF, 'png'), seed: 9 }))
      expect(setup.events('provider.ready')).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ model: 'flux2-dev', workflow: file }),
          expect.objectContaining({ model: 'kontext-dev', workflow: 'built-in kontext-dev-workflow.json' })
        ])
      )
    })

    it.for([
      ['a missing file', () => join(dir, 'nope-flux2.json'), /cannot read .*nope-flux2\.json \(ENOENT\)/],
      [
        'one slot that cannot take the 4 references FLUX.2 [dev] allows',
        () => {
          const graph = structuredClone(flux2WorkflowFile.workflow) as unknown as Record<string, FakeNode>
          graph['43']!.inputs = { conditioning: ['26', 0] }
          return write('flux2-no-chain.json', { ...flux2WorkflowFile, workflow: graph })
        },
        /takes up to 4 references but the workflow has 1 LoadImage slot/
      ],
      [
        'a size target that is not in the workflow',
        () => write('flux2-size.json', { ...flux2WorkflowFile, nodes: { ...flux2WorkflowFile.nodes, size: ['47', '999'] } }),
        /nodes\.size\[1\]: node 999 is not in the workflow/
      ]
    ] as const)(
      'refuses to start with a FLUX.2 [dev] file with %s, naming COMFYUI_FLUX2_WORKFLOW_FILE',
      async ([, makeFile, message], context) => {
        const file = makeFile()
        const fake = await startFakeComfyuiAsync()
        context.onTestFinished(() => fake.close())
        const error = await startRelayAsync({ COMFYUI_URL: fake.url, COMFYUI_FLUX2_WORKFLOW_FILE: file }).then(
          () => new Error('the relay started'),
          (caught: unknown) => caught
        )
        context.expect(error).toBeInstanceOf(Error)
        context.expect((error as Error).message).toMatch(/^COMFYUI_FLUX2_WORKFLOW_FILE: /)
        context.expect((error as Error).message).toMatch(message)
      }
    )

    it.for([
      ['a missing file', () => join(dir, 'nope.json'), /cannot read .*nope\.json \(ENOENT\)/],
      ['a file that is not JSON', () => write('broken.json', '{"workflow": '), /is not valid JSON/],
      ['a bare API graph', () => write('bare.json', defaultWorkflowFile.workflow), /bare API-format graph; wrap it as \{"workflow"/],
      [
        'a mapping to a missing node',
        () => write('missing-node.json', { ...defaultWorkflowFile, nodes: { ...defaultWorkflowFile.nodes, prompt: '999' } }),
        /nodes\.prompt: node 999 is not in the workflow/
      ],
      [
        'a mapped input that is a link',
        () =>
          write('linked.json', { ...defaultWorkflowFile, nodes: { ...defaultWorkflowFile.nodes, seed: { node: '31', input: 'model' } } }),
        /nodes\.seed: node 31 input "model" is linked to node 37/
      ],
      [
        'an unknown mapping key',
        () => write('typo.json', { ...defaultWorkflowFile, nodes: { ...defaultWorkflowFile.nodes, sed: '31' } }),
        /nodes: Unrecognized key: "sed"/
      ],
      [
        'one slot that cannot take a second reference',
        () => {
          const graph = structuredClone(defaultWorkflowFile.workflow) as unknown as Record<string, FakeNode>
          graph['177']!.inputs = { conditioning: ['6', 0] }
          return write('no-chain.json', { ...defaultWorkflowFile, workflow: graph })
        },
        /takes up to 2 references but the workflow has 1 LoadImage slot/
      ]
    ] as const)('refuses to start with %s, saying why', async ([, makeFile, message], context) => {
      const file = makeFile()
      const fake = await startFakeComfyuiAsync()
      context.onTestFinished(() => fake.close())
      const error = await startRelayAsync({ COMFYUI_URL: fake.url, COMFYUI_WORKFLOW_FILE: file }).then(
        () => new Error('the relay started'),
        (caught: unknown) => caught
      )
      context.expect(error).toBeInstanceOf(Error)
      context.expect((error as Error).message).toMatch(/^COMFYUI_WORKFLOW_FILE: /)
      context.expect((error as Error).message).toMatch(message)
    })
  })
})

afterAll(() => {
  // No key exists for ComfyUI; what must stay private is the instruction (never logged, never
  // echoed to a client) and the host's own error text (logged for the operator, never sent to a client).
  expect(contractTranscript.logs.length).toBeGreaterThan(0)
  expect(contractTranscript.logs.filter((line) => line.includes(PROMPT))).toEqual([])
  expectKeyKeptOut(PROMPT)
  for (const hostText of ['value_not_in_list', 'mat1 and mat2', 'OutOfMemoryError', 'Server got itself in trouble', 'simulated 50']) {
    expect(contractTranscript.responses.filter((response) => response.includes(hostText))).toEqual([])
  }
})
