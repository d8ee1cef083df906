/**
 * Self-tests of the ComfyUI fake: it must refuse what ComfyUI refuses (in ComfyUI's 400 shape),
 * keep the queue and history as ComfyUI does, and produce real PNGs at the implied size.
 */
import { randomUUID } from 'node:crypto'
import { imageSize } from 'image-size'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import flux2WorkflowFile from '../../relay/providers/comfyui/flux2-dev-workflow.json'
import defaultWorkflowFile from '../../relay/providers/comfyui/kontext-dev-workflow.json'
import {
  startComfyuiForRelayAsync,
  startFakeComfyuiAsync,
  type FakeComfyui,
  type FakeComfyuiOptions,
  type FakeNode
} from './comfyui-server'
import { makePng } from './make-image'

const POLL = { timeout: 8000, interval: 20 }
const fakes: FakeComfyui[] = []
const sockets: WebSocket[] = []
afterEach(async () => {
  sockets.splice(0).forEach((socket) => socket.terminate())
  await Promise.all(fakes.splice(0).map((fake) => fake.close()))
})

async function startAsync(options: FakeComfyuiOptions = {}): Promise<FakeComfyui> {
  const fake = await startFakeComfyuiAsync({ latencyMs: 1, ...options })
  fakes.push(fake)
  return fake
}

async function uploadAsync(
  fake: Pick<FakeComfyui, 'url'>,
  bytes: Uint8Array | string,
  name = 'ref.png',
  fields: Record<string, string> = {}
): Promise<Response> {
  const form = new FormData()
  form.append('image', new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)], { type: 'image/png' }), name)
  for (const [key, value] of Object.entries(fields)) form.append(key, value)
  return fetch(`${fake.url}/upload/image`, { method: 'POST', body: form })
}

function graph(image: string, patch: (graph: Record<string, FakeNode>) => void = () => undefined): Record<string, FakeNode> {
  const copy = structuredClone(defaultWorkflowFile.workflow) as unknown as Record<string, FakeNode>
  copy['190']!.inputs.image = image
  copy['6']!.inputs.text = 'make it blue'
  patch(copy)
  return copy
}

/** The shipped FLUX.2 [dev] graph (the official template's edit path) reading `image`. */
function flux2Graph(image: string, patch: (graph: Record<string, FakeNode>) => void = () => undefined): Record<string, FakeNode> {
  const copy = structuredClone(flux2WorkflowFile.workflow) as unknown as Record<string, FakeNode>
  copy['46']!.inputs.image = image
  copy['6']!.inputs.text = 'make it blue'
  patch(copy)
  return copy
}

/** Sets both nodes the output size goes to, as the relay does. */
const sized = (graph: Record<string, FakeNode>, width: number, height: number): void => {
  Object.assign(graph['47']!.inputs, { width, height })
  Object.assign(graph['48']!.inputs, { width, height })
}

async function postPromptAsync(fake: Pick<FakeComfyui, 'url'>, body: unknown, path = '/prompt'): Promise<{ status: number; body: any }> {
  const response = await fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body)
  })
  const text = await response.text()
  return { status: response.status, body: text === '' ? null : JSON.parse(text) }
}

async function historyAsync(fake: FakeComfyui, promptId: string): Promise<any> {
  return (await fetch(`${fake.url}/history/${promptId}`)).json()
}

async function readyAsync(options: FakeComfyuiOptions = {}): Promise<{ fake: FakeComfyui; name: string }> {
  const fake = await startAsync(options)
  const { name } = (await (await uploadAsync(fake, makePng(64, 40))).json()) as { name: string }
  return { fake, name }
}

describe('POST /upload/image', () => {
  it('stores an image and answers {name, subfolder, type}; also under /api', async () => {
    const fake = await startAsync()
    const response = await uploadAsync(fake, makePng(10, 10), 'a.png', { type: 'input', overwrite: 'false' })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ name: 'a.png', subfolder: '', type: 'input' })
    const form = new FormData()
    form.append('image', new Blob([new Uint8Array(makePng(12, 12))]), 'b.png')
    expect((await fetch(`${fake.url}/api/upload/image`, { method: 'POST', body: form })).status).toBe(200)
    expect([...fake.uploads.keys()]).toEqual(['a.png', 'b.png'])
  })

  it('renames a clash to "name (1).png", "name (2).png", keeps identical bytes under one name, and overwrites when told', async () => {
    const fake = await startAsync()
    const names: string[] = []
    for (const seed of [1, 2, 3, 2])
      names.push(((await (await uploadAsync(fake, makePng(10, 10, seed), 'x.png')).json()) as { name: string }).name)
    expect(names).toEqual(['x.png', 'x (1).png', 'x (2).png', 'x (1).png'])
    const overwritten = (await (await uploadAsync(fake, makePng(10, 10, 9), 'x.png', { overwrite: 'true' })).json()) as { name: string }
    expect(overwritten.name).toBe('x.png')
    expect(fake.uploads.size).toBe(3)
  })

  it('refuses bytes that are not an image, a missing image part, an unknown field and a path in the name', async () => {
    const fake = await startAsync()
    expect((await uploadAsync(fake, 'not an image at all')).status).toBe(400)
    const empty = new FormData()
    empty.append('type', 'input')
    expect((await fetch(`${fake.url}/upload/image`, { method: 'POST', body: empty })).status).toBe(400)
    expect((await uploadAsync(fake, makePng(4, 4), 'a.png', { colour: 'red' })).status).toBe(400)
    expect((await uploadAsync(fake, makePng(4, 4), 'a.png', { subfolder: '../etc' })).status).toBe(400)
    expect(fake.uploads.size).toBe(0)
  })
})

describe('POST /prompt validation', () => {
  it('queues a valid Kontext graph under the client’s prompt_id', async () => {
    const { fake, name } = await readyAsync()
    const promptId = randomUUID()
    const answer = await postPromptAsync(fake, { prompt: graph(name), client_id: 'c1', prompt_id: promptId })
    expect(answer).toEqual({ status: 200, body: { prompt_id: promptId, number: 0, node_errors: {} } })
    expect(fake.accepted).toHaveLength(1)
  })

  it('answers no_prompt without a prompt, and refuses unknown body keys', async () => {
    const { fake, name } = await readyAsync()
    expect(await postPromptAsync(fake, { client_id: 'x' })).toEqual({
      status: 400,
      body: { error: { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} }, node_errors: {} }
    })
    expect((await postPromptAsync(fake, { prompt: graph(name), promptId: 'x' })).body.error.type).toBe('invalid_prompt')
  })

  it.each([
    [
      'a node without class_type',
      (g: Record<string, FakeNode>) => delete (g['8'] as Partial<FakeNode>).class_type,
      'invalid_prompt',
      /missing the class_type/
    ],
    [
      'an unknown node class',
      (g: Record<string, FakeNode>) => (g['8']!.class_type = 'VAEDecodeTiled'),
      'invalid_prompt',
      /node VAEDecodeTiled does not exist/
    ],
    ['no output node', (g: Record<string, FakeNode>) => delete g['136'], 'prompt_no_outputs', /no outputs/]
  ])('answers %s with %s', async (_label, patch, type, message) => {
    const { fake, name } = await readyAsync()
    const answer = await postPromptAsync(fake, { prompt: graph(name, patch) })
    expect(answer.status).toBe(400)
    expect(answer.body.error.type).toBe(type)
    expect(answer.body.error.message).toMatch(message)
  })

  it.each([
    ['a missing required input', (g: Record<string, FakeNode>) => delete g['31']!.inputs.steps, '31', 'required_input_missing'],
    [
      'a link to a node that is not there',
      (g: Record<string, FakeNode>) => (g['8']!.inputs.samples = ['999', 0]),
      '8',
      'exception_during_inner_validation'
    ],
    ['a link of the wrong type', (g: Record<string, FakeNode>) => (g['8']!.inputs.samples = ['39', 0]), '8', 'return_type_mismatch'],
    ['a seed above 2^64 − 1', (g: Record<string, FakeNode>) => (g['31']!.inputs.seed = 2 ** 65), '31', 'value_bigger_than_max'],
    ['a string for an INT', (g: Record<string, FakeNode>) => (g['31']!.inputs.steps = '20'), '31', 'invalid_input_type'],
    [
      'a LoadImage of a file never uploaded',
      (g: Record<string, FakeNode>) => (g['190']!.inputs.image = 'missing.png'),
      '190',
      'value_not_in_list'
    ],
    [
      'a model file that is not installed',
      (g: Record<string, FakeNode>) => (g['37']!.inputs.unet_name = 'flux1-dev.safetensors'),
      '37',
      'value_not_in_list'
    ],
    ['an input the node does not have', (g: Record<string, FakeNode>) => (g['31']!.inputs.sampler = 'euler'), '31', 'unknown_input']
  ])('answers %s with node_errors', async (_label, patch, node, type) => {
    const { fake, name } = await readyAsync()
    const answer = await postPromptAsync(fake, { prompt: graph(name, patch) })
    expect(answer.status).toBe(400)
    expect(answer.body.error).toMatchObject({ type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation' })
    expect(answer.body.node_errors[node]).toMatchObject({
      class_type: expect.any(String),
      dependent_outputs: ['136'],
      errors: [expect.objectContaining({ type })]
    })
    expect(fake.accepted).toHaveLength(0)
  })

  it('refuses a graph that is not a Kontext edit', async () => {
    const { fake, name } = await readyAsync()
    const noReference = graph(name, (g) => {
      g['35']!.inputs.conditioning = ['6', 0]
      delete g['177']
    })
    const answer = await postPromptAsync(fake, { prompt: noReference })
    expect(answer.status).toBe(400)
    expect(answer.body.error.type).toBe('fake_not_kontext')
  })
})

describe('execution, queue and history', () => {
  it('keeps {} in history until done, then outputs and a status; /view returns the PNG at the EmptySD3LatentImage size', async () => {
    const { fake, name } = await readyAsync({ latencyMs: 50 })
    const promptId = randomUUID()
    await postPromptAsync(fake, {
      prompt: graph(name, (g) => Object.assign(g['27']!.inputs, { width: 1184, height: 880 })),
      prompt_id: promptId
    })
    expect(await historyAsync(fake, promptId)).toEqual({})
    await expect.poll(() => historyAsync(fake, promptId), POLL).not.toEqual({})
    const entry = (await historyAsync(fake, promptId))[promptId]
    expect(entry.status).toMatchObject({ status_str: 'success', completed: true })
    const image = entry.outputs['136'].images[0]
    expect(image).toEqual({ filename: 'kontext-edit_00001_.png', subfolder: '', type: 'output' })
    const view = await fetch(`${fake.url}/view?${new URLSearchParams(image).toString()}`)
    expect(imageSize(new Uint8Array(await view.arrayBuffer()))).toMatchObject({ type: 'png', width: 1184, height: 880 })
  })

  it('sizes a graph without an empty latent by FluxKontextImageScale’s nearest preferred size', async () => {
    const { fake, name } = await readyAsync()
    const promptId = randomUUID()
    await postPromptAsync(fake, {
      prompt: graph(name, (g) => ((g['31']!.inputs.latent_image = ['124', 0]), delete g['27'])),
      prompt_id: promptId
    })
    await expect.poll(() => historyAsync(fake, promptId), POLL).not.toEqual({})
    const image = (await historyAsync(fake, promptId))[promptId].outputs['136'].images[0]
    const view = await fetch(`${fake.url}/view?${new URLSearchParams(image).toString()}`)
    // 64×40 is 1.6: the nearest of the 17 preferred sizes is 1328×800 (1.66).
    expect(imageSize(new Uint8Array(await view.arrayBuffer()))).toMatchObject({ width: 1328, height: 800 })
  })

  it('deletes pending prompts, interrupts only the named running one, and records an interrupted run in history', async () => {
    const { fake, name } = await readyAsync()
    fake.failNext({ kind: 'stall' })
    const [first, second] = [randomUUID(), randomUUID()]
    await postPromptAsync(fake, { prompt: graph(name), prompt_id: first })
    await postPromptAsync(fake, { prompt: graph(name), prompt_id: second })
    const queue = await (await fetch(`${fake.url}/queue`)).json()
    expect(queue.queue_running.map((item: unknown[]) => item[1])).toEqual([first])
    expect(queue.queue_pending.map((item: unknown[]) => item[1])).toEqual([second])

    await postPromptAsync(fake, { delete: [second] }, '/queue')
    await postPromptAsync(fake, { prompt_id: second }, '/interrupt')
    expect(fake.queue()).toEqual({ running: [first], pending: [] })
    await postPromptAsync(fake, { prompt_id: first }, '/interrupt')
    await expect.poll(() => historyAsync(fake, first), POLL).not.toEqual({})
    const entry = (await historyAsync(fake, first))[first]
    expect(entry.status.status_str).toBe('error')
    expect(entry.status.messages.map((message: unknown[]) => message[0])).toContain('execution_interrupted')
    expect(await historyAsync(fake, second)).toEqual({})
    expect(fake.interrupts).toEqual([second, first])
  })

  it('queues before dropping the connection on reset-after-accept, and counts a repeated prompt_id', async () => {
    const { fake, name } = await readyAsync()
    fake.failNext({ kind: 'reset-after-accept' })
    const promptId = randomUUID()
    await expect(postPromptAsync(fake, { prompt: graph(name), prompt_id: promptId })).rejects.toThrow()
    await expect.poll(() => historyAsync(fake, promptId), POLL).not.toEqual({})
    const again = await postPromptAsync(fake, { prompt: graph(name), prompt_id: promptId })
    expect(again).toEqual({ status: 409, body: { error: 'prompt_id already exists' } })
    expect(fake.duplicatePromptIds).toBe(1)
    expect(fake.accepted).toHaveLength(1)
  })

  it('answers 409 for a prompt_id it has queued, running or in history, and queues it again in queue-again mode', async () => {
    const { fake, name } = await readyAsync()
    fake.failNext({ kind: 'stall' })
    const held = randomUUID()
    expect((await postPromptAsync(fake, { prompt: graph(name), prompt_id: held })).status).toBe(200)
    await expect.poll(() => fake.stalled(), POLL).toEqual([held])
    expect((await postPromptAsync(fake, { prompt: graph(name), prompt_id: held })).status).toBe(409)
    fake.resume()
    await expect.poll(() => historyAsync(fake, held), POLL).not.toEqual({})
    expect((await postPromptAsync(fake, { prompt: graph(name), prompt_id: held })).status).toBe(409)
    expect(fake.accepted).toHaveLength(1)
    expect(fake.duplicatePromptIds).toBe(2)

    const old = await readyAsync({ duplicatePromptId: 'queue-again' })
    const promptId = randomUUID()
    expect((await postPromptAsync(old.fake, { prompt: graph(old.name), prompt_id: promptId })).status).toBe(200)
    expect((await postPromptAsync(old.fake, { prompt: graph(old.name), prompt_id: promptId })).status).toBe(200)
    expect(old.fake.accepted).toHaveLength(2)
    expect(old.fake.duplicatePromptIds).toBe(1)
  })

  it('on drop-before-queue drops the connection with nothing queued, and queues the prompt before the next /prompt', async () => {
    const { fake, name } = await readyAsync()
    fake.failNext({ kind: 'drop-before-queue' })
    const promptId = randomUUID()
    await expect(postPromptAsync(fake, { prompt: graph(name), prompt_id: promptId })).rejects.toThrow()
    expect(fake.queue()).toEqual({ running: [], pending: [] })
    expect(await historyAsync(fake, promptId)).toEqual({})
    expect(fake.accepted).toHaveLength(0)
    expect(await postPromptAsync(fake, { prompt: graph(name), prompt_id: promptId })).toEqual({
      status: 409,
      body: { error: 'prompt_id already exists' }
    })
    expect(fake.accepted.map((prompt) => prompt.promptId)).toEqual([promptId])
    await expect.poll(() => historyAsync(fake, promptId), POLL).not.toEqual({})
  })

  it('writes status: null into the history entry on status-null, keeping the outputs', async () => {
    const { fake, name } = await readyAsync()
    fake.failNext({ kind: 'status-null' })
    const promptId = randomUUID()
    await postPromptAsync(fake, { prompt: graph(name), prompt_id: promptId })
    await expect.poll(() => historyAsync(fake, promptId), POLL).not.toEqual({})
    const entry = (await historyAsync(fake, promptId))[promptId]
    expect(entry.status).toBeNull()
    expect(Object.values(entry.outputs as Record<string, { images: unknown[] }>)[0]!.images).toHaveLength(1)
  })

  it('refuses a prompt_id that is not a canonical lowercase UUID, as newer builds do', async () => {
    const { fake, name } = await readyAsync()
    for (const promptId of ['relay-1', randomUUID().toUpperCase(), randomUUID().replace(/-/g, '')]) {
      const answer = await postPromptAsync(fake, { prompt: graph(name), prompt_id: promptId })
      expect(answer.status).toBe(400)
      expect(answer.body.error.type).toBe('invalid_prompt_id')
    }
    expect(fake.accepted).toHaveLength(0)
  })

  it('makes its own prompt_id when it models an older build', async () => {
    const { fake, name } = await readyAsync({ honorsPromptId: false })
    const sent = randomUUID()
    const answer = await postPromptAsync(fake, { prompt: graph(name), prompt_id: sent })
    expect(answer.status).toBe(200)
    expect(answer.body.prompt_id).not.toBe(sent)
  })

  it('records the execution error ComfyUI reports', async () => {
    const { fake, name } = await readyAsync()
    fake.failNext({ kind: 'execution-error', exceptionMessage: 'boom' })
    const promptId = randomUUID()
    await postPromptAsync(fake, { prompt: graph(name), prompt_id: promptId })
    await expect.poll(() => historyAsync(fake, promptId), POLL).not.toEqual({})
    const entry = (await historyAsync(fake, promptId))[promptId]
    expect(entry.status.status_str).toBe('error')
    expect(entry.status.messages.find((message: unknown[]) => message[0] === 'execution_error')[1]).toMatchObject({
      node_type: 'KSampler',
      exception_message: 'boom'
    })
  })
})

describe('the FLUX.2 [dev] graph (Comfy-Org templates/image_flux2.json)', () => {
  it('runs Flux2Scheduler’s steps, and renders a PNG at the EmptyFlux2LatentImage size seeded by RandomNoise', async () => {
    const { fake, name } = await readyAsync()
    const client = await connectAsync(fake, 'c')
    const ids = [randomUUID(), randomUUID()]
    for (const [index, promptId] of ids.entries()) {
      const prompt = flux2Graph(name, (g) => {
        sized(g, 1280, 800)
        g['48']!.inputs.steps = 7
        g['25']!.inputs.noise_seed = 100 + index
      })
      expect((await postPromptAsync(fake, { prompt, client_id: 'c', prompt_id: promptId })).status).toBe(200)
    }
    await expect.poll(() => ids.every((promptId) => ended(client, promptId)), POLL).toBe(true)

    const progress = client.of(ids[0]!).filter((frame) => frame.type === 'progress')
    expect(progress.map((frame) => [frame.data.value, frame.data.max, frame.data.node])).toEqual(
      Array.from({ length: 7 }, (_, index) => [index + 1, 7, '13'])
    )
    const images = await Promise.all(
      ids.map(async (promptId) => {
        const entry = (await historyAsync(fake, promptId))[promptId]
        expect(entry.status).toMatchObject({ status_str: 'success', completed: true })
        const image = entry.outputs['9'].images[0]
        expect(image).toMatchObject({ filename: expect.stringMatching(/^kontext-edit-flux2_\d{5}_\.png$/), type: 'output' })
        return new Uint8Array(await (await fetch(`${fake.url}/view?${new URLSearchParams(image).toString()}`)).arrayBuffer())
      })
    )
    for (const bytes of images) expect(imageSize(bytes)).toMatchObject({ type: 'png', width: 1280, height: 800 })
    // Only the seed differs between the two prompts: RandomNoise's noise_seed made the difference.
    expect(Buffer.from(images[0]!).equals(Buffer.from(images[1]!))).toBe(false)
  })

  it('refuses a node class ComfyUI does not have (the latent node by its display name) with invalid_prompt', async () => {
    const { fake, name } = await readyAsync()
    const answer = await postPromptAsync(fake, { prompt: flux2Graph(name, (g) => (g['47']!.class_type = 'EmptyFlux2Latent')) })
    expect(answer.status).toBe(400)
    expect(answer.body.error).toMatchObject({
      type: 'invalid_prompt',
      message: 'Cannot execute because node EmptyFlux2Latent does not exist.'
    })
    expect(fake.accepted).toHaveLength(0)
  })

  it.each([
    ['sigmas linked to a SAMPLER', (g: Record<string, FakeNode>) => (g['13']!.inputs.sigmas = ['16', 0]), '13', 'return_type_mismatch'],
    ['a guider fed a LATENT', (g: Record<string, FakeNode>) => (g['22']!.inputs.conditioning = ['47', 0]), '22', 'return_type_mismatch'],
    ['a width sent as a string', (g: Record<string, FakeNode>) => (g['47']!.inputs.width = '1280'), '47', 'invalid_input_type'],
    [
      'no resolution_steps on ImageScaleToTotalPixels',
      (g: Record<string, FakeNode>) => delete g['45']!.inputs.resolution_steps,
      '45',
      'required_input_missing'
    ],
    [
      'an upscale method ComfyUI lacks',
      (g: Record<string, FakeNode>) => (g['45']!.inputs.upscale_method = 'lanczos3'),
      '45',
      'value_not_in_list'
    ],
    ['a CLIPLoader type that is not flux2’s', (g: Record<string, FakeNode>) => (g['38']!.inputs.type = 'flux'), '38', 'value_not_in_list'],
    [
      'a text encoder that is not installed',
      (g: Record<string, FakeNode>) => (g['38']!.inputs.clip_name = 'mistral.safetensors'),
      '38',
      'value_not_in_list'
    ],
    ['steps of 0', (g: Record<string, FakeNode>) => (g['48']!.inputs.steps = 0), '48', 'value_smaller_than_min'],
    [
      'the UI’s control_after_generate on RandomNoise',
      (g: Record<string, FakeNode>) => (g['25']!.inputs.control_after_generate = 'randomize'),
      '25',
      'unknown_input'
    ]
  ])('answers %s with node_errors', async (_label, patch, node, type) => {
    const { fake, name } = await readyAsync()
    const answer = await postPromptAsync(fake, { prompt: flux2Graph(name, patch) })
    expect(answer.status).toBe(400)
    expect(answer.body.error).toMatchObject({ type: 'prompt_outputs_failed_validation' })
    expect(answer.body.node_errors[node]).toMatchObject({ dependent_outputs: ['9'], errors: [expect.objectContaining({ type })] })
    expect(fake.accepted).toHaveLength(0)
  })

  it.each([
    [
      'a Flux2Scheduler sized otherwise than the latent',
      (g: Record<string, FakeNode>) => {
        sized(g, 1280, 800)
        g['48']!.inputs.width = 1024
      },
      /Flux2Scheduler is sized 1024x800/
    ],
    ['a latent off the 16-px grid', (g: Record<string, FakeNode>) => sized(g, 1288, 800), /EmptyFlux2LatentImage 47 is 1288x800/],
    [
      'Kontext’s scale node in the reference chain',
      (g: Record<string, FakeNode>) => (g['45'] = { class_type: 'FluxKontextImageScale', inputs: { image: ['46', 0] } }),
      /VAEEncode 44 does not encode a LoadImage/
    ],
    [
      'no ReferenceLatent before the guider',
      (g: Record<string, FakeNode>) => ((g['22']!.inputs.conditioning = ['26', 0]), delete g['43']),
      /BasicGuider.conditioning does not come from a ReferenceLatent/
    ],
    [
      'FluxGuidance after the ReferenceLatent, as in Kontext’s graph',
      (g: Record<string, FakeNode>) => {
        g['43']!.inputs.conditioning = ['6', 0]
        g['26']!.inputs.conditioning = ['43', 0]
        g['22']!.inputs.conditioning = ['26', 0]
      },
      /BasicGuider.conditioning does not come from a ReferenceLatent/
    ],
    [
      'an empty latent of another model',
      (g: Record<string, FakeNode>) => (g['47']!.class_type = 'EmptySD3LatentImage'),
      /latent_image does not come from EmptyFlux2LatentImage/
    ]
  ])('refuses %s with fake_not_flux2', async (_label, patch, message) => {
    const { fake, name } = await readyAsync()
    const answer = await postPromptAsync(fake, { prompt: flux2Graph(name, patch) })
    expect(answer.status).toBe(400)
    expect(answer.body.error).toMatchObject({ type: 'fake_not_flux2', message: expect.stringMatching(message) })
    expect(fake.accepted).toHaveLength(0)
  })

  it('refuses a graph with two samplers, and reports an execution error in SamplerCustomAdvanced', async () => {
    const { fake, name } = await readyAsync()
    const twoSamplers = flux2Graph(name, (g) => (g['99'] = structuredClone(g['13']!)))
    expect((await postPromptAsync(fake, { prompt: twoSamplers })).body.error.type).toBe('fake_not_an_edit')

    fake.failNext({ kind: 'execution-error', exceptionMessage: 'boom' })
    const promptId = randomUUID()
    await postPromptAsync(fake, { prompt: flux2Graph(name), prompt_id: promptId })
    await expect.poll(() => historyAsync(fake, promptId), POLL).not.toEqual({})
    const entry = (await historyAsync(fake, promptId))[promptId]
    expect(entry.status.messages.find((message: unknown[]) => message[0] === 'execution_error')[1]).toMatchObject({
      node_id: '13',
      node_type: 'SamplerCustomAdvanced',
      exception_message: 'boom'
    })
  })
})

// ---------------------------------------------------------------------------------------------
// The websocket
// ---------------------------------------------------------------------------------------------

interface Frame {
  type: string
  data: Record<string, any>
}

interface Client {
  socket: WebSocket
  /** Text frames, as received. */
  texts: string[]
  /** Text frames that parse as JSON. */
  frames: Frame[]
  binary: Buffer[]
  closed: Promise<number>
  /** The frames of one prompt. */
  of(promptId: string): Frame[]
}

async function connectAsync(fake: FakeComfyui, clientId?: string, path = '/ws'): Promise<Client> {
  const socket = new WebSocket(`${fake.url.replace(/^http/, 'ws')}${path}${clientId === undefined ? '' : `?clientId=${clientId}`}`)
  sockets.push(socket)
  const client: Client = {
    socket,
    texts: [],
    frames: [],
    binary: [],
    closed: new Promise((resolve) => socket.once('close', resolve)),
    of: (promptId) => client.frames.filter((frame) => frame.data?.prompt_id === promptId)
  }
  socket.on('message', (data, isBinary) => {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer)
    if (isBinary) return void client.binary.push(bytes)
    client.texts.push(bytes.toString('utf8'))
    try {
      client.frames.push(JSON.parse(bytes.toString('utf8')) as Frame)
    } catch {
      // garbage, kept in texts
    }
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  return client
}

const ended = (client: Client, promptId: string): boolean =>
  client.of(promptId).some((frame) => frame.type === 'executing' && frame.data.node === null)

describe('the common faults (test/fakes/host-fault.ts)', () => {
  it('drops /prompt before queuing on reset', async () => {
    const { fake, name } = await readyAsync()
    fake.failNext({ kind: 'reset' })
    const promptId = randomUUID()
    await expect(postPromptAsync(fake, { prompt: graph(name), prompt_id: promptId })).rejects.toThrow()
    expect(fake.accepted).toHaveLength(0)
    expect(fake.queue()).toEqual({ running: [], pending: [] })
    expect((await postPromptAsync(fake, { prompt: graph(name), prompt_id: promptId })).status).toBe(200)
    expect(fake.duplicatePromptIds).toBe(0)
  })

  it('serves the first half of the output on truncated-image, once', async () => {
    const { fake, name } = await readyAsync()
    const promptId = randomUUID()
    expect((await postPromptAsync(fake, { prompt: graph(name), prompt_id: promptId })).status).toBe(200)
    await expect.poll(() => historyAsync(fake, promptId), POLL).not.toEqual({})
    const image = (await historyAsync(fake, promptId))[promptId].outputs['136'].images[0] as {
      filename: string
      subfolder: string
      type: string
    }
    const view = `${fake.url}/view?${new URLSearchParams(image).toString()}`
    fake.failNext({ kind: 'truncated-image' })
    const cut = new Uint8Array(await (await fetch(view)).arrayBuffer())
    const whole = new Uint8Array(await (await fetch(view)).arrayBuffer())
    expect(imageSize(whole)).toMatchObject({ type: 'png' })
    expect(cut.byteLength).toBe(Math.floor(whole.byteLength / 2))
    expect(Buffer.from(cut).equals(Buffer.from(whole.subarray(0, cut.byteLength)))).toBe(true)
  })

  it('takes failNext and counts duplicates through the cross-host handle', async () => {
    const handle = await startComfyuiForRelayAsync()
    try {
      const host = { url: handle.env.COMFYUI_URL! }
      const { name } = (await (await uploadAsync(host, makePng(64, 40))).json()) as { name: string }
      const promptId = randomUUID()
      handle.failNext({ kind: 'status', status: 503, retryAfterSeconds: 1 }, 2)
      expect((await postPromptAsync(host, { prompt: graph(name), prompt_id: promptId })).status).toBe(503)
      expect((await postPromptAsync(host, { prompt: graph(name), prompt_id: promptId })).status).toBe(503)
      expect(handle.submissions()).toBe(0)
      handle.failNext({ kind: 'reset-after-accept' })
      await expect(postPromptAsync(host, { prompt: graph(name), prompt_id: promptId })).rejects.toThrow()
      expect(handle.submissions()).toBe(1)
      expect(handle.duplicates()).toBe(0)
      expect((await postPromptAsync(host, { prompt: graph(name), prompt_id: promptId })).status).toBe(409)
      expect(handle.duplicates()).toBe(1)
    } finally {
      await handle.close()
    }
  })
})

describe('the websocket /ws?clientId=', () => {
  it('sends a run’s frames only to the client that queued it, and `executing` null once the history is written', async () => {
    const { fake, name } = await readyAsync({ latencyMs: 20 })
    const mine = await connectAsync(fake, 'mine')
    const other = await connectAsync(fake, 'other')
    expect(mine.frames[0]).toEqual({ type: 'status', data: { status: { exec_info: { queue_remaining: 0 } }, sid: 'mine' } })
    let historyAtEnd: Promise<unknown> | undefined
    const promptId = randomUUID()
    mine.socket.on('message', (data, isBinary) => {
      if (!isBinary && /"node":null/.test((data as Buffer).toString('utf8'))) historyAtEnd ??= historyAsync(fake, promptId)
    })

    await postPromptAsync(fake, { prompt: graph(name), client_id: 'mine', prompt_id: promptId })
    await expect.poll(() => ended(mine, promptId), POLL).toBe(true)

    const frames = mine.of(promptId)
    expect(frames.slice(0, 2)).toEqual([
      { type: 'execution_start', data: { prompt_id: promptId, timestamp: expect.any(Number) } },
      { type: 'execution_cached', data: { nodes: [], prompt_id: promptId, timestamp: expect.any(Number) } }
    ])
    const executing = frames.filter((frame) => frame.type === 'executing').map((frame) => frame.data.node)
    expect(executing).toEqual(['37', '38', '6', '190', '42', '39', '124', '177', '35', '135', '27', '31', '8', '136', null])
    const progress = frames.filter((frame) => frame.type === 'progress')
    expect(progress.map((frame) => frame.data)).toEqual(
      Array.from({ length: 20 }, (_, index) => ({ value: index + 1, max: 20, node: '31', prompt_id: promptId }))
    )
    expect(frames.filter((frame) => frame.type === 'progress_state')).toHaveLength(20)
    expect(frames.find((frame) => frame.type === 'executed')?.data).toMatchObject({
      node: '136',
      output: { images: [{ filename: 'kontext-edit_00001_.png', subfolder: '', type: 'output' }] }
    })
    expect(frames.slice(-2).map((frame) => frame.type)).toEqual(['execution_success', 'executing'])
    expect(await historyAtEnd).toHaveProperty(promptId)
    // Previews: event type 1 (PREVIEW_IMAGE), image type 2 (PNG), then a PNG.
    expect(mine.binary).toHaveLength(4)
    expect(
      mine.binary.map((frame) => [frame.readUInt32BE(0), frame.readUInt32BE(4), imageSize(new Uint8Array(frame.subarray(8))).type])
    ).toEqual(Array(4).fill([1, 2, 'png']))
    expect(
      fake
        .framesFor(promptId)
        .filter((frame) => frame.type !== 'preview')
        .map((frame) => frame.type)
    ).toEqual(frames.map((frame) => frame.type))
    // The other client hears only the queue's status.
    expect(other.frames.length).toBeGreaterThan(1)
    expect(other.frames.every((frame) => frame.type === 'status')).toBe(true)
    expect(other.binary).toEqual([])
    expect(fake.websockets).toEqual([
      { clientId: 'mine', accepted: true },
      { clientId: 'other', accepted: true }
    ])
  })

  it('caches unchanged nodes, and a fully cached run sends nothing at all', async () => {
    const { fake, name } = await readyAsync()
    const client = await connectAsync(fake, 'c')
    const [first, again, reseeded] = [randomUUID(), randomUUID(), randomUUID()]
    await postPromptAsync(fake, { prompt: graph(name), client_id: 'c', prompt_id: first })
    await expect.poll(() => ended(client, first), POLL).toBe(true)
    await postPromptAsync(fake, { prompt: graph(name), client_id: 'c', prompt_id: again })
    await expect.poll(() => historyAsync(fake, again), POLL).not.toEqual({})
    await postPromptAsync(fake, { prompt: graph(name, (g) => (g['31']!.inputs.seed = 5)), client_id: 'c', prompt_id: reseeded })
    await expect.poll(() => ended(client, reseeded), POLL).toBe(true)

    expect(client.of(again)).toEqual([])
    expect(fake.framesFor(again)).toEqual([])
    expect((await historyAsync(fake, again))[again].status.status_str).toBe('success')
    const frames = client.of(reseeded)
    expect(frames.find((frame) => frame.type === 'execution_cached')!.data.nodes).toEqual([
      '37',
      '38',
      '6',
      '190',
      '42',
      '39',
      '124',
      '177',
      '35',
      '135',
      '27'
    ])
    expect(frames.filter((frame) => frame.type === 'executing').map((frame) => frame.data.node)).toEqual(['31', '8', '136', null])
  })

  it('holds a run at a sampler step until resume(); a socket dropped meanwhile closes, and one that reconnects hears the rest', async () => {
    const { fake, name } = await readyAsync()
    const first = await connectAsync(fake, 'c', '/api/ws')
    fake.failNext({ kind: 'stall', atStep: 8 })
    const promptId = randomUUID()
    await postPromptAsync(fake, { prompt: graph(name), client_id: 'c', prompt_id: promptId })
    await expect.poll(() => fake.stalled(), POLL).toEqual([promptId])
    await expect.poll(() => first.of(promptId).filter((frame) => frame.type === 'progress').length, POLL).toBe(8)
    expect(await historyAsync(fake, promptId)).toEqual({})

    fake.dropWebsockets()
    expect(await first.closed).toBe(1006)
    expect(fake.openWebsockets()).toBe(0)
    const second = await connectAsync(fake, 'c')
    // server.py repeats the running node to the running prompt's client, without a prompt_id.
    expect(second.frames.slice(0, 2)).toEqual([
      { type: 'status', data: { status: { exec_info: { queue_remaining: 1 } }, sid: 'c' } },
      { type: 'executing', data: { node: '31' } }
    ])
    fake.resume()
    await expect.poll(() => ended(second, promptId), POLL).toBe(true)
    expect(
      second
        .of(promptId)
        .filter((frame) => frame.type === 'progress')
        .map((frame) => frame.data.value)
    ).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])
    expect(fake.stalled()).toEqual([])
  })

  it('gives a clientId’s frames to its newest socket, and close() ends every socket', async () => {
    const { fake, name } = await readyAsync()
    const older = await connectAsync(fake, 'c')
    const newer = await connectAsync(fake, 'c')
    const promptId = randomUUID()
    await postPromptAsync(fake, { prompt: graph(name), client_id: 'c', prompt_id: promptId })
    await expect.poll(() => ended(newer, promptId), POLL).toBe(true)
    expect(older.of(promptId)).toEqual([])
    expect(fake.openWebsockets()).toBe(2)

    await fake.close()
    expect(await Promise.all([older.closed, newer.closed])).toEqual([1006, 1006])
  })

  it('refuses the upgrade with 404 when off, and replaces every frame with garbage when told', async () => {
    const { fake, name } = await readyAsync({ websocket: 'off' })
    await expect(connectAsync(fake, 'c')).rejects.toThrow(/Unexpected server response: 404/)
    expect(fake.websockets).toEqual([{ clientId: 'c', accepted: false }])

    fake.setWebsocket('garbage')
    const client = await connectAsync(fake, 'c')
    const promptId = randomUUID()
    await postPromptAsync(fake, { prompt: graph(name), client_id: 'c', prompt_id: promptId })
    await expect.poll(() => historyAsync(fake, promptId), POLL).not.toEqual({})
    await expect.poll(() => client.texts.length, POLL).toBeGreaterThan(40)

    const usableProgress = client.frames.filter((frame) => {
      const data = frame?.data
      return (
        frame?.type === 'progress' &&
        typeof data?.value === 'number' &&
        typeof data.max === 'number' &&
        data.max > 0 &&
        data.value >= 0 &&
        data.value <= data.max &&
        typeof data.prompt_id === 'string'
      )
    })
    expect(usableProgress).toEqual([])
    expect(client.texts.some((text) => text.startsWith('{"type": "progress", "data": {"value": 3'))).toBe(true)
    expect(client.binary.length).toBeGreaterThan(0)
    expect(client.binary.every((frame) => frame.length < 8 || frame.readUInt32BE(0) !== 1)).toBe(true)
  })
})
