import { randomUUID } from 'node:crypto'
import { imageSize } from 'image-size'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import * as z from 'zod'
import { KONTEXT_DEV_SIZES, KONTEXT_SIZES } from '../../shared/aspect-ratios'
import { makeJpeg, makePng } from './make-image'
import { startFakeRunwareAsync, startRunwareForRelayAsync, type FakeRunware } from './runware-server'

const API_KEY = 'rw-test-key'
const REFERENCE_PNG = `data:image/png;base64,${Buffer.from(makePng(64, 36, 3)).toString('base64')}`

const ErrorBody = z.strictObject({
  errors: z.array(
    z.strictObject({
      code: z.string(),
      message: z.string(),
      parameter: z.union([z.string(), z.array(z.string())]).optional(),
      taskType: z.string().optional(),
      taskUUID: z.string().optional()
    })
  )
})

const ResultItem = z.strictObject({
  taskType: z.literal('imageInference'),
  taskUUID: z.string(),
  imageUUID: z.uuid(),
  seed: z.int(),
  NSFWContent: z.boolean(),
  cost: z.number().optional(),
  imageURL: z.string().optional(),
  imageBase64Data: z.string().optional(),
  imageDataURI: z.string().optional(),
  status: z.literal('success').optional()
})
const ResultBody = z.strictObject({ data: z.array(ResultItem) })
const PollBody = z.strictObject({
  data: z.array(
    z.union([
      ResultItem,
      z.strictObject({ taskType: z.literal('imageInference'), taskUUID: z.string(), status: z.literal('processing') }),
      z.strictObject({
        taskType: z.literal('imageInference'),
        taskUUID: z.string(),
        status: z.literal('error'),
        error: z.strictObject({ code: z.string(), message: z.string(), taskType: z.string(), taskUUID: z.string() })
      })
    ])
  )
})

let fake: FakeRunware

beforeEach(async () => {
  fake = await startFakeRunwareAsync({ apiKey: API_KEY })
})

afterEach(async () => {
  await fake.close()
})

function editTask(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    taskType: 'imageInference',
    taskUUID: randomUUID(),
    model: 'bfl:4@1',
    positivePrompt: 'Make the sky purple, keep everything else',
    inputs: { referenceImages: [REFERENCE_PNG] },
    width: 1024,
    height: 1024,
    seed: 7,
    outputType: 'base64Data',
    outputFormat: 'PNG',
    ...overrides
  }
}

function without(task: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(task).filter(([name]) => name !== key))
}

function post(body: unknown, headers: Record<string, string> = { authorization: `Bearer ${API_KEY}` }): Promise<Response> {
  return fetch(fake.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  })
}

async function expectError(response: Response, status: number, code: string): Promise<z.infer<typeof ErrorBody>['errors'][number]> {
  expect(response.status).toBe(status)
  const body = ErrorBody.parse(await response.json())
  expect(body.errors[0]?.code).toBe(code)
  const [first] = body.errors
  if (first === undefined) throw new Error('no error item')
  return first
}

async function submit(task: Record<string, unknown>): Promise<z.infer<typeof ResultItem>[]> {
  const response = await post([task])
  expect(response.status).toBe(200)
  return ResultBody.parse(await response.json()).data
}

function poll(taskUUID: string): Promise<Response> {
  return post([{ taskType: 'getResponse', taskUUID }])
}

function decodeBase64(text: string | undefined): Uint8Array {
  if (text === undefined) throw new Error('missing base64 field')
  return new Uint8Array(Buffer.from(text, 'base64'))
}

describe('authentication', () => {
  it('answers 401 invalidApiKey without a key or with a wrong one', async () => {
    const headerSets: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: API_KEY }]
    for (const headers of headerSets) {
      const error = await expectError(await post([editTask()], headers), 401, 'invalidApiKey')
      expect(error).toMatchObject({ parameter: 'apiKey', taskType: 'authentication' })
    }
    expect(fake.accepted).toHaveLength(0)
  })

  it('accepts the documented authentication element instead of the header', async () => {
    const results = await post([{ taskType: 'authentication', apiKey: API_KEY }, editTask()], {})
    expect(results.status).toBe(200)
    await expectError(await post([{ taskType: 'authentication', apiKey: 'nope' }, editTask()], {}), 401, 'invalidApiKey')
  })
})

describe('request validation', () => {
  it('wants a JSON array body sent as application/json', async () => {
    await expectError(await post({ taskType: 'imageInference' }), 400, 'invalidRequestBody')
    await expectError(await post('not json'), 400, 'invalidRequestBody')
    const textPlain = await fetch(fake.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'text/plain' },
      body: JSON.stringify([editTask()])
    })
    await expectError(textPlain, 400, 'invalidContentType')
  })

  it('rejects parameters Kontext pro/max do not take, naming them', async () => {
    for (const key of ['steps', 'CFGScale', 'negativePrompt', 'positivePromt', 'referenceImages']) {
      const task = editTask({ [key]: 1 })
      const error = await expectError(await post([task]), 400, 'unknownParameter')
      expect(error).toMatchObject({ parameter: key, taskType: 'imageInference', taskUUID: task.taskUUID })
    }
    const nested = await expectError(
      await post([editTask({ inputs: { referenceImages: [REFERENCE_PNG], maskImage: 'x' } })]),
      400,
      'unknownParameter'
    )
    expect(nested.parameter).toBe('inputs.maskImage')
  })

  it('rejects sizes outside the nine Kontext pairs and half a pair', async () => {
    const odd = await expectError(await post([editTask({ width: 1000, height: 1000 })]), 400, 'unsupportedDimensions')
    expect(odd.parameter).toEqual(['width', 'height'])
    await expectError(await post([without(editTask(), 'height')]), 400, 'unsupportedDimensions')
    await expectError(await post([editTask({ width: '1024' })]), 400, 'invalidWidth')
  })

  it('checks the prompt, model, taskUUID and the other scalar fields', async () => {
    await expectError(await post([editTask({ positivePrompt: 'a' })]), 400, 'invalidPositivePrompt')
    await expectError(await post([editTask({ positivePrompt: 'x'.repeat(3001) })]), 400, 'invalidPositivePrompt')
    await expectError(await post([without(editTask(), 'positivePrompt')]), 400, 'invalidPositivePrompt')
    await expectError(await post([editTask({ model: 'runware:101@1' })]), 400, 'invalidModel')
    await expectError(await post([editTask({ taskUUID: 'abc' })]), 400, 'invalidTaskUUID')
    await expectError(await post([editTask({ taskUUID: '6f1c2a9e-3b7d-1c1e-9a55-0f2d8b1e7c42' })]), 400, 'invalidTaskUUID')
    await expectError(await post([editTask({ numberResults: 5 })]), 400, 'invalidNumberResults')
    await expectError(await post([editTask({ seed: -1 })]), 400, 'invalidSeed')
    await expectError(await post([editTask({ outputQuality: 100 })]), 400, 'invalidOutputQuality')
    await expectError(await post([editTask({ outputType: 'url' })]), 400, 'invalidOutputType')
    await expectError(await post([editTask({ includeCost: 'yes' })]), 400, 'invalidIncludeCost')
    await expectError(await post([editTask({ deliveryMethod: 'later' })]), 400, 'invalidDeliveryMethod')
    expect(fake.accepted).toHaveLength(0)
  })

  it('checks providerSettings.bfl strictly', async () => {
    const ok = editTask({ providerSettings: { bfl: { promptUpsampling: false, safetyTolerance: 2, raw: false } } })
    expect((await post([ok])).status).toBe(200)
    for (const providerSettings of [{ bfl: { safety: { level: 2 } } }, { bfl: { safetyTolerance: 7 } }, { fal: {} }]) {
      await expectError(await post([editTask({ providerSettings })]), 400, 'invalidProviderSettings')
    }
  })

  it('rejects references that are not decodable images, URLs, or too many', async () => {
    const text = Buffer.from('definitely not an image').toString('base64')
    const notImage = await expectError(
      await post([editTask({ inputs: { referenceImages: [`data:image/png;base64,${text}`] } })]),
      400,
      'invalidReferenceImage'
    )
    expect(notImage.parameter).toBe('inputs.referenceImages.0')
    await expectError(await post([editTask({ inputs: { referenceImages: [text] } })]), 400, 'invalidReferenceImage')
    const url = await expectError(
      await post([editTask({ inputs: { referenceImages: ['https://example.com/a.png'] } })]),
      400,
      'invalidReferenceImage'
    )
    expect(url.message).toMatch(/does not fetch URLs/)
    const jpegAsPng = `data:image/png;base64,${Buffer.from(makeJpeg(16, 16)).toString('base64')}`
    await expectError(await post([editTask({ inputs: { referenceImages: [jpegAsPng] } })]), 400, 'invalidReferenceImage')
    await expectError(
      await post([editTask({ inputs: { referenceImages: [REFERENCE_PNG, REFERENCE_PNG, REFERENCE_PNG] } })]),
      400,
      'invalidReferenceImages'
    )
    await expectError(await post([editTask({ inputs: { referenceImages: [] } })]), 400, 'missingReferenceImages')
    await expectError(await post([without(editTask(), 'inputs')]), 400, 'missingReferenceImages')
  })

  it('says fakeUnsupported for what it cannot do honestly', async () => {
    await expectError(await post([editTask({ webhookURL: 'https://example.com/hook' })]), 400, 'fakeUnsupported')
    await expectError(await post([editTask(), editTask()]), 400, 'fakeUnsupported')
  })
})

describe('per model (docs/hosts.md, "Runware")', () => {
  const devTask = (overrides: Record<string, unknown> = {}): Record<string, unknown> =>
    editTask({ model: 'runware:106@1', steps: 28, CFGScale: 2.5, ...overrides })

  it('takes Kontext [dev] with steps, CFGScale and negativePrompt, but no BFL providerSettings', async () => {
    const [result] = await submit(devTask({ negativePrompt: 'blurry', width: 1456, height: 720 }))
    expect(imageSize(decodeBase64(result?.imageBase64Data))).toMatchObject({ width: 1456, height: 720, type: 'png' })
    const settings = await expectError(
      await post([devTask({ providerSettings: { bfl: { safetyTolerance: 2 } } })]),
      400,
      'unknownParameter'
    )
    expect(settings.parameter).toBe('providerSettings')
    await expectError(await post([devTask({ steps: 0 })]), 400, 'invalidSteps')
    await expectError(await post([devTask({ steps: 51 })]), 400, 'invalidSteps')
    await expectError(await post([devTask({ steps: 20.5 })]), 400, 'invalidSteps')
    await expectError(await post([devTask({ CFGScale: '3' })]), 400, 'invalidCFGScale')
    await expectError(await post([devTask({ CFGScale: 51 })]), 400, 'invalidCFGScale')
    expect(fake.accepted).toHaveLength(1)
  })

  it('holds each model to its own sizes: 17 for dev, nine for pro/max', async () => {
    const devOnly = KONTEXT_DEV_SIZES.filter(
      (size) => !KONTEXT_SIZES.some((pair) => pair.width === size.width && pair.height === size.height)
    )
    expect(devOnly).toHaveLength(8)
    // A queued 503 is used only by a submission that passes validation: cheaper than rendering 17 images.
    for (const size of KONTEXT_DEV_SIZES) {
      fake.failNext({ kind: 'status', status: 503 })
      await expectError(await post([devTask({ width: size.width, height: size.height })]), 503, 'serviceUnavailable')
    }
    for (const model of ['bfl:4@1', 'bfl:3@1']) {
      for (const size of devOnly)
        await expectError(await post([editTask({ model, width: size.width, height: size.height })]), 400, 'unsupportedDimensions')
    }
    await expectError(await post([devTask({ width: 1000, height: 1000 })]), 400, 'unsupportedDimensions')
  })

  it('bills each model its listed price unless told otherwise', async () => {
    const prices: Array<[string, number]> = [
      ['bfl:4@1', 0.08],
      ['bfl:3@1', 0.04],
      ['runware:106@1', 0.0105]
    ]
    for (const [model, price] of prices) {
      const [result] = await submit(editTask({ model, includeCost: true }))
      expect(result?.cost).toBe(price)
    }
  })
})

describe('FLUX.2 [pro] bfl:5@1, [flex] bfl:6@1, [max] bfl:7@1', () => {
  const flux2Task = (model: string, overrides: Record<string, unknown> = {}): Record<string, unknown> =>
    editTask({ model, width: 1440, height: 896, includeCost: true, ...overrides })
  const flexTask = (overrides: Record<string, unknown> = {}): Record<string, unknown> =>
    flux2Task('bfl:6@1', {
      steps: 50,
      CFGScale: 5,
      providerSettings: { bfl: { promptUpsampling: false, safetyTolerance: 5 } },
      ...overrides
    })
  /** A queued 503 is used only by a task that passes validation: proves acceptance without rendering. */
  async function expectValid(task: Record<string, unknown>): Promise<void> {
    fake.failNext({ kind: 'status', status: 503 })
    await expectError(await post([task]), 503, 'serviceUnavailable')
  }

  it('takes [flex] at a free size on the ×16 grid with steps, CFGScale and BFL settings, and answers an image of exactly that size', async () => {
    const [result] = await submit(flexTask({ width: 2048, height: 1280 }))
    expect(imageSize(decodeBase64(result?.imageBase64Data))).toMatchObject({ width: 2048, height: 1280, type: 'png' })
    expect(result?.cost).toBe(0.06)
    const [pro] = await submit(flux2Task('bfl:5@1', { width: 896, height: 1440, outputFormat: 'JPG' }))
    expect(imageSize(decodeBase64(pro?.imageBase64Data))).toMatchObject({ width: 896, height: 1440, type: 'jpg' })
    expect(pro?.cost).toBe(0.03)
    const [max] = await submit(flux2Task('bfl:7@1', { width: 256, height: 2048 }))
    expect(imageSize(decodeBase64(max?.imageBase64Data))).toMatchObject({ width: 256, height: 2048 })
    expect(max?.cost).toBe(0.07)
    expect(fake.accepted).toHaveLength(3)
  })

  it('holds width and height to 256–2048 on the ×16 grid, sent together, and never picks a size itself', async () => {
    for (const [width, height] of [
      [256, 256],
      [2048, 2048],
      [1008, 1520]
    ])
      await expectValid(flux2Task('bfl:5@1', { width, height }))
    for (const [width, height, code] of [
      [1000, 1008, 'invalidWidth'],
      [1008, 1000, 'invalidHeight'],
      [240, 1024, 'invalidWidth'],
      [2064, 1024, 'invalidWidth'],
      [1024, 2064, 'invalidHeight']
    ] as const)
      await expectError(await post([flux2Task('bfl:6@1', { width, height })]), 400, code)
    // Kontext follows the reference without a size; FLUX.2 on Runware must be told one.
    const missing = await expectError(await post([without(without(flux2Task('bfl:7@1'), 'width'), 'height')]), 400, 'unsupportedDimensions')
    expect(missing.parameter).toEqual(['width', 'height'])
    await expectError(await post([without(flux2Task('bfl:5@1'), 'height')]), 400, 'unsupportedDimensions')
    expect(fake.accepted).toHaveLength(0)
  })

  it('refuses Kontext-only fields: promptUpsampling on [pro], raw and interval, steps and CFGScale off [flex], negativePrompt', async () => {
    // Kontext [pro] (bfl:3@1) takes promptUpsampling; FLUX.2 [pro] has only safetyTolerance.
    await expectValid(editTask({ model: 'bfl:3@1', providerSettings: { bfl: { promptUpsampling: true } } }))
    await expectValid(flux2Task('bfl:5@1', { providerSettings: { bfl: { safetyTolerance: 2 } } }))
    await expectValid(flux2Task('bfl:7@1', { providerSettings: { bfl: { promptUpsampling: true, safetyTolerance: 0 } } }))
    for (const [model, bfl] of [
      ['bfl:5@1', { promptUpsampling: false }],
      ['bfl:6@1', { raw: false }],
      ['bfl:7@1', { interval: 2 }],
      ['bfl:5@1', { safetyTolerance: 6 }],
      ['bfl:6@1', { safetyTolerance: -1 }],
      ['bfl:7@1', { safetyTolerance: 2.5 }]
    ] as const) {
      await expectError(await post([flux2Task(model, { providerSettings: { bfl } })]), 400, 'invalidProviderSettings')
    }
    for (const [model, key, value] of [
      ['bfl:5@1', 'steps', 28],
      ['bfl:7@1', 'CFGScale', 2.5],
      ['bfl:6@1', 'negativePrompt', 'blurry'],
      ['bfl:6@1', 'aspectRatio', '16:9']
    ] as const) {
      const error = await expectError(await post([flux2Task(model, { [key]: value })]), 400, 'unknownParameter')
      expect(error.parameter).toBe(key)
    }
    expect(fake.accepted).toHaveLength(0)
  })

  it('holds [flex] steps to whole 1–50 and CFGScale to 1.5–5', async () => {
    await expectValid(flexTask({ steps: 1, CFGScale: 1.5 }))
    await expectValid(flexTask({ steps: 50, CFGScale: 5 }))
    for (const steps of [0, 51, 20.5, '20']) await expectError(await post([flexTask({ steps })]), 400, 'invalidSteps')
    for (const CFGScale of [1, 5.5, 7, '3']) await expectError(await post([flexTask({ CFGScale })]), 400, 'invalidCFGScale')
  })

  it('takes up to 9 references on [pro], 10 on [flex], 8 on [max]; one image a task on [pro] and [max]', async () => {
    const refs = (count: number): Record<string, unknown> => ({ inputs: { referenceImages: Array<string>(count).fill(REFERENCE_PNG) } })
    for (const [model, most] of [
      ['bfl:5@1', 9],
      ['bfl:6@1', 10],
      ['bfl:7@1', 8]
    ] as const) {
      await expectValid(flux2Task(model, refs(most)))
      await expectError(await post([flux2Task(model, refs(most + 1))]), 400, 'invalidReferenceImages')
    }
    for (const model of ['bfl:5@1', 'bfl:7@1'])
      await expectError(await post([flux2Task(model, { numberResults: 2 })]), 400, 'invalidNumberResults')
    await expectValid(flexTask({ numberResults: 2 }))
  })
})

describe('FLUX.2 [klein] 4B runware:400@4, 9B runware:400@2', () => {
  const kleinTask = (model: string, overrides: Record<string, unknown> = {}): Record<string, unknown> =>
    editTask({ model, width: 1440, height: 896, steps: 4, CFGScale: 3.5, includeCost: true, ...overrides })
  async function expectValid(task: Record<string, unknown>): Promise<void> {
    fake.failNext({ kind: 'status', status: 503 })
    await expectError(await post([task]), 503, 'serviceUnavailable')
  }

  it('takes both at a free size with steps and CFGScale, answers images of exactly that size, and bills each its figure', async () => {
    const results = await submit(kleinTask('runware:400@4', { width: 2048, height: 1280, numberResults: 2 }))
    expect(results).toHaveLength(2)
    for (const result of results) {
      expect(imageSize(decodeBase64(result.imageBase64Data))).toMatchObject({ width: 2048, height: 1280, type: 'png' })
      expect(result.cost).toBe(0.0006)
    }
    const [nine] = await submit(kleinTask('runware:400@2', { width: 128, height: 2048, outputFormat: 'WEBP' }))
    expect(imageSize(decodeBase64(nine?.imageBase64Data))).toMatchObject({ width: 128, height: 2048, type: 'webp' })
    expect(nine?.cost).toBe(0.00078)
    expect(fake.accepted).toHaveLength(2)
  })

  it('holds width and height to 128–2048 on the ×16 grid, sent together', async () => {
    await expectValid(kleinTask('runware:400@4', { width: 128, height: 128 }))
    await expectValid(kleinTask('runware:400@2', { width: 2048, height: 2048 }))
    for (const [width, height, code] of [
      [112, 1024, 'invalidWidth'],
      [1024, 2064, 'invalidHeight'],
      [1000, 1008, 'invalidWidth']
    ] as const)
      await expectError(await post([kleinTask('runware:400@4', { width, height })]), 400, code)
    const missing = await expectError(await post([without(kleinTask('runware:400@2'), 'width')]), 400, 'unsupportedDimensions')
    expect(missing.message).toMatch(/from 128 to 2048/)
    expect(fake.accepted).toHaveLength(0)
  })

  it('holds steps to whole 1–50 and CFGScale to 1–20, and takes its own negativePrompt and acceleration', async () => {
    await expectValid(kleinTask('runware:400@4', { steps: 1, CFGScale: 1 }))
    await expectValid(kleinTask('runware:400@2', { steps: 50, CFGScale: 20, negativePrompt: 'blurry', acceleration: 'none' }))
    await expectValid(without(without(kleinTask('runware:400@2'), 'steps'), 'CFGScale'))
    for (const steps of [0, 51, 4.5, '4']) await expectError(await post([kleinTask('runware:400@4', { steps })]), 400, 'invalidSteps')
    for (const CFGScale of [0.5, 20.5, '3.5'])
      await expectError(await post([kleinTask('runware:400@2', { CFGScale })]), 400, 'invalidCFGScale')
    await expectError(await post([kleinTask('runware:400@4', { acceleration: 'max' })]), 400, 'invalidAcceleration')
  })

  it('refuses FLUX.2 [pro]’s BFL settings: [klein] has no providerSettings at all', async () => {
    await expectValid(editTask({ model: 'bfl:5@1', width: 1440, height: 896, providerSettings: { bfl: { safetyTolerance: 2 } } }))
    for (const model of ['runware:400@4', 'runware:400@2']) {
      for (const providerSettings of [{ bfl: { safetyTolerance: 2 } }, { bfl: { promptUpsampling: false } }, {}]) {
        const error = await expectError(await post([kleinTask(model, { providerSettings })]), 400, 'unknownParameter')
        expect(error.parameter).toBe('providerSettings')
      }
    }
    expect(fake.accepted).toHaveLength(0)
  })

  it('takes up to 4 references and 4 results a task; says fakeUnsupported for the fields it does not model', async () => {
    const refs = (count: number): Record<string, unknown> => ({ inputs: { referenceImages: Array<string>(count).fill(REFERENCE_PNG) } })
    await expectValid(kleinTask('runware:400@4', { ...refs(4), numberResults: 4 }))
    await expectError(await post([kleinTask('runware:400@2', refs(5))]), 400, 'invalidReferenceImages')
    await expectError(await post([kleinTask('runware:400@4', { numberResults: 5 })]), 400, 'invalidNumberResults')
    for (const [key, value] of [
      ['scheduler', 'Euler'],
      ['safety', { checkContent: true }],
      ['lora', []]
    ] as const) {
      const error = await expectError(await post([kleinTask('runware:400@2', { [key]: value })]), 400, 'fakeUnsupported')
      expect(error.parameter).toBe(key)
    }
    expect(fake.accepted).toHaveLength(0)
  })
})

describe('output formats', () => {
  it('encodes WEBP for real, as base64 and behind a URL', async () => {
    const [inline] = await submit(editTask({ outputFormat: 'WEBP', width: 832, height: 1248 }))
    expect(imageSize(decodeBase64(inline?.imageBase64Data))).toMatchObject({ width: 832, height: 1248, type: 'webp' })
    const [linked] = await submit(editTask({ outputFormat: 'WEBP', outputType: 'URL' }))
    expect(linked?.imageURL).toMatch(/\.webp$/)
    const image = await fetch(linked?.imageURL ?? '')
    expect(image.headers.get('content-type')).toBe('image/webp')
    expect(imageSize(new Uint8Array(await image.arrayBuffer()))).toMatchObject({ width: 1024, height: 1024, type: 'webp' })
  })

  it('encodes JPG at the requested outputQuality', async () => {
    const [low] = await submit(editTask({ outputFormat: 'JPG', outputQuality: 20 }))
    const [high] = await submit(editTask({ outputFormat: 'JPG', outputQuality: 99 }))
    expect(decodeBase64(low?.imageBase64Data).length).toBeLessThan(decodeBase64(high?.imageBase64Data).length)
    await expectError(await post([editTask({ outputQuality: 19 })]), 400, 'invalidOutputQuality')
  })
})

describe('sync results', () => {
  it('returns base64 PNGs at the requested size, one different image per result', async () => {
    const task = editTask({ numberResults: 2, width: 1248, height: 832 })
    const results = await submit(task)
    expect(results).toHaveLength(2)
    const [first, second] = results.map((result) => decodeBase64(result.imageBase64Data))
    for (const bytes of [first, second])
      expect(imageSize(bytes ?? new Uint8Array())).toMatchObject({ width: 1248, height: 832, type: 'png' })
    expect(Buffer.from(first ?? []).equals(Buffer.from(second ?? []))).toBe(false)
    expect(results.map((result) => result.seed)).toEqual([7, 8])
    expect(results[0]).toMatchObject({ taskUUID: task.taskUUID, NSFWContent: false })
    expect(results[0]?.cost).toBeUndefined()
    expect(results[0]?.imageURL).toBeUndefined()
    expect(fake.accepted.map((entry) => entry.taskUUID)).toEqual([task.taskUUID])
    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/v1', body: [task] })
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`)
  })

  it('serves URL results (JPG by default) over GET without auth', async () => {
    const [result] = await submit(without(without(editTask(), 'outputType'), 'outputFormat'))
    expect(result?.imageURL).toMatch(/\/images\/[0-9a-f-]{36}\.jpg$/)
    const image = await fetch(result?.imageURL ?? '')
    expect(image.status).toBe(200)
    expect(image.headers.get('content-type')).toBe('image/jpeg')
    expect(imageSize(new Uint8Array(await image.arrayBuffer()))).toMatchObject({ width: 1024, height: 1024, type: 'jpg' })
    expect((await fetch(`${fake.url.replace('/v1', '')}/images/${randomUUID()}.jpg`)).status).toBe(404)
  })

  it('takes the imageUUID of an image it generated as a reference, but not an unknown one', async () => {
    const [result] = await submit(editTask())
    expect((await post([editTask({ inputs: { referenceImages: [result?.imageUUID] } })])).status).toBe(200)
    await expectError(await post([editTask({ inputs: { referenceImages: [randomUUID()] } })]), 400, 'invalidReferenceImage')
  })

  it('returns data URIs and follows the reference aspect ratio when no size is sent', async () => {
    const [result] = await submit(without(without(editTask({ outputType: 'dataURI' }), 'width'), 'height'))
    const dataUri = result?.imageDataURI ?? ''
    expect(dataUri.startsWith('data:image/png;base64,')).toBe(true)
    expect(imageSize(decodeBase64(dataUri.split(',')[1]))).toMatchObject({ width: 1392, height: 752 })
  })

  it('adds cost only with includeCost', async () => {
    await fake.close()
    fake = await startFakeRunwareAsync({ apiKey: API_KEY, costPerImage: 0.04 })
    const results = await submit(editTask({ includeCost: true, numberResults: 2 }))
    expect(results.map((result) => result.cost)).toEqual([0.04, 0.04])
  })

  it('answers a second submission of an accepted taskUUID with conflictTaskUUID, naming the task, without billing it', async () => {
    const task = editTask()
    await submit(task)
    const error = await expectError(await post([task]), 400, 'conflictTaskUUID')
    // Runware/sdk-python runware/base.py reads `code` and the item's `taskUUID`, then polls that task.
    expect(error).toMatchObject({ taskUUID: task.taskUUID, taskType: 'imageInference', parameter: 'taskUUID' })
    expect(fake.duplicateSubmissions).toBe(1)
    expect(fake.accepted).toHaveLength(1)
    // The first task is untouched: getResponse still has its result.
    const polled = PollBody.parse(await (await poll(String(task.taskUUID))).json()).data
    expect(polled[0]?.status).toBe('success')
  })

  it('does not count getResponse for a known taskUUID as reuse', async () => {
    const task = editTask({ deliveryMethod: 'async' })
    expect((await post([task])).status).toBe(200)
    for (let i = 0; i < 3; i += 1) expect((await poll(String(task.taskUUID))).status).toBe(200)
    expect(fake.duplicateSubmissions).toBe(0)
    expect(fake.accepted).toHaveLength(1)
  })
})

describe('getResponse', () => {
  it('returns the same images for a sync task and never bills', async () => {
    const task = editTask()
    const [result] = await submit(task)
    const response = await poll(String(task.taskUUID))
    expect(response.status).toBe(200)
    const [polled] = PollBody.parse(await response.json()).data
    expect(polled).toMatchObject({ status: 'success', imageUUID: result?.imageUUID, imageBase64Data: result?.imageBase64Data })
    expect(fake.accepted).toHaveLength(1)
  })

  it('answers taskFailedOrNotFound for an unknown taskUUID and rejects extra keys', async () => {
    await expectError(await poll(randomUUID()), 400, 'taskFailedOrNotFound')
    const extra = await expectError(await post([{ taskType: 'getResponse', taskUUID: randomUUID(), wait: true }]), 400, 'unknownParameter')
    expect(extra.parameter).toBe('wait')
  })

  it('reports processing until an async task is ready', async () => {
    fake.setLatency(150)
    const task = editTask({ deliveryMethod: 'async', numberResults: 2 })
    const ack = await post([task])
    expect(ack.status).toBe(200)
    expect(await ack.json()).toEqual({ data: [{ taskType: 'imageInference', taskUUID: task.taskUUID }] })
    expect(fake.accepted).toHaveLength(1)
    const early = PollBody.parse(await (await poll(String(task.taskUUID))).json()).data
    expect(early.map((item) => item.status)).toEqual(['processing', 'processing'])
    await new Promise((resolve) => setTimeout(resolve, 200))
    const late = PollBody.parse(await (await poll(String(task.taskUUID))).json()).data
    expect(late.map((item) => item.status)).toEqual(['success', 'success'])
  })
})

describe('faults', () => {
  it('status faults answer without billing, once per queued fault', async () => {
    fake.failNext({ kind: 'status', status: 429, retryAfterSeconds: 3 })
    fake.failNext({ kind: 'status', status: 503 }, 2)
    const task = editTask()
    const limited = await post([task])
    expect(limited.headers.get('retry-after')).toBe('3')
    await expectError(limited, 429, 'rateLimitExceeded')
    await expectError(await post([task]), 503, 'serviceUnavailable')
    await expectError(await post([task]), 503, 'serviceUnavailable')
    expect(fake.accepted).toHaveLength(0)
    await submit(task)
    expect(fake.accepted).toHaveLength(1)
    expect(fake.duplicateSubmissions).toBe(0)
  })

  it('lose-response bills, answers a non-JSON 504, and getResponse recovers the images', async () => {
    fake.failNext({ kind: 'lose-response' })
    const task = editTask()
    const lost = await post([task])
    expect(lost.status).toBe(504)
    const page = await lost.text()
    expect(page).toContain('504 Gateway Time-out')
    expect(() => JSON.parse(page) as unknown).toThrow()
    expect(fake.accepted).toHaveLength(1)
    const polled = PollBody.parse(await (await poll(String(task.taskUUID))).json()).data
    expect(polled[0]?.status).toBe('success')
    await expectError(await post([task]), 400, 'conflictTaskUUID')
    expect(fake.duplicateSubmissions).toBe(1)
    expect(fake.accepted).toHaveLength(1)
  })

  it('reset-after-accept drops the connection after billing; reset drops it before', async () => {
    fake.failNext({ kind: 'reset-after-accept' })
    const billed = editTask()
    await expect(post([billed])).rejects.toThrow()
    expect(fake.accepted.map((entry) => entry.taskUUID)).toEqual([billed.taskUUID])
    expect((await poll(String(billed.taskUUID))).status).toBe(200)

    fake.failNext({ kind: 'reset' })
    const unbilled = editTask()
    await expect(post([unbilled])).rejects.toThrow()
    expect(fake.accepted).toHaveLength(1)
    await expectError(await poll(String(unbilled.taskUUID)), 400, 'taskFailedOrNotFound')
  })

  it('moderation and malformed do not bill; nsfw bills and flags', async () => {
    fake.failNext({ kind: 'moderation' })
    fake.failNext({ kind: 'malformed' })
    fake.failNext({ kind: 'nsfw' })
    await expectError(await post([editTask()]), 400, 'contentPolicyViolation')
    const malformed = await post([editTask()])
    expect(malformed.status).toBe(200)
    await expect(malformed.json()).rejects.toThrow()
    expect(fake.accepted).toHaveLength(0)
    const [flagged] = await submit(editTask())
    expect(flagged?.NSFWContent).toBe(true)
    expect(fake.accepted).toHaveLength(1)
  })

  it('a status fault of any status answers that status, with its own code or the status’s default', async () => {
    fake.failNext({ kind: 'status', status: 502 })
    fake.failNext({ kind: 'status', status: 418 })
    fake.failNext({ kind: 'status', status: 500, code: 'noAvailableServer' })
    await expectError(await post([editTask()]), 502, 'badGateway')
    await expectError(await post([editTask()]), 418, 'simulated418')
    await expectError(await post([editTask()]), 500, 'noAvailableServer')
    expect(fake.accepted).toHaveLength(0)
  })

  it('faults are only used by valid imageInference submissions', async () => {
    fake.failNext({ kind: 'status', status: 500 })
    await expectError(await post([editTask({ steps: 20 })]), 400, 'unknownParameter')
    await expectError(await poll(randomUUID()), 400, 'taskFailedOrNotFound')
    await expectError(await post([editTask()]), 500, 'internalServerError')
  })

  it('hang never answers and close() ends it promptly', async () => {
    fake.failNext({ kind: 'hang' })
    const pending = post([editTask()])
    pending.catch(() => undefined)
    while (fake.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    await new Promise((resolve) => setTimeout(resolve, 20))
    const started = Date.now()
    await fake.close()
    await expect(pending).rejects.toThrow()
    expect(Date.now() - started).toBeLessThan(1000)
    expect(fake.accepted).toHaveLength(0)
  })

  it('close() also ends a sync request still waiting out its latency', async () => {
    fake.setLatency(10_000)
    const pending = post([editTask()])
    pending.catch(() => undefined)
    while (fake.accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    const started = Date.now()
    await fake.close()
    await expect(pending).rejects.toThrow()
    expect(Date.now() - started).toBeLessThan(1000)
  })
})

describe('async tasks and their faults', () => {
  async function submitAsync(task: Record<string, unknown>): Promise<void> {
    const ack = await post([task])
    expect(ack.status).toBe(200)
    expect(await ack.json()).toEqual({ data: [{ taskType: 'imageInference', taskUUID: task.taskUUID }] })
  }

  async function statusesUntilDone(taskUUID: string): Promise<string[][]> {
    const seen: string[][] = []
    for (;;) {
      const data = PollBody.parse(await (await poll(taskUUID)).json()).data
      const statuses = data.map((item) => item.status ?? 'none')
      if (JSON.stringify(statuses) !== JSON.stringify(seen.at(-1))) seen.push(statuses)
      if (!statuses.includes('processing')) return seen
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  it('finishes the results of one task one after another', async () => {
    fake.setLatency(300)
    const task = editTask({ deliveryMethod: 'async', numberResults: 3 })
    await submitAsync(task)
    const seen = await statusesUntilDone(String(task.taskUUID))
    expect(seen.at(-1)).toEqual(['success', 'success', 'success'])
    // Each state has no fewer successes than the one before, and the first is not all done.
    const successes = seen.map((statuses) => statuses.filter((status) => status === 'success').length)
    expect(successes).toEqual([...successes].sort())
    expect(successes[0]).toBeLessThan(3)
  })

  it('task-error: results end with status error (async) or the errors body (sync)', async () => {
    fake.failNext({ kind: 'task-error', results: [1] })
    const task = editTask({ deliveryMethod: 'async', numberResults: 2 })
    await submitAsync(task)
    const data = PollBody.parse(await (await poll(String(task.taskUUID))).json()).data
    expect(data.map((item) => item.status)).toEqual(['success', 'error'])
    expect(data[1]).toMatchObject({ error: { code: 'inferenceError' } })

    fake.failNext({ kind: 'task-error', code: 'providerContentPolicyViolation' })
    await expectError(await post([editTask()]), 400, 'providerContentPolicyViolation')
    fake.failNext({ kind: 'task-error' })
    await expectError(await post([editTask()]), 500, 'inferenceError')
    expect(fake.accepted).toHaveLength(3)
  })

  it('nsfw can flag some results only', async () => {
    fake.failNext({ kind: 'nsfw', results: [0, 2] })
    const results = await submit(editTask({ numberResults: 3 }))
    expect(results.map((result) => result.NSFWContent)).toEqual([true, false, true])
  })

  it('lose-response and reset-after-accept on an async submit leave a task getResponse can follow', async () => {
    fake.failNext({ kind: 'lose-response' })
    const lost = editTask({ deliveryMethod: 'async' })
    expect((await post([lost])).status).toBe(504)
    fake.failNext({ kind: 'reset-after-accept' })
    const reset = editTask({ deliveryMethod: 'async' })
    await expect(post([reset])).rejects.toThrow()
    for (const task of [lost, reset]) expect((await statusesUntilDone(String(task.taskUUID))).at(-1)).toEqual(['success'])
    expect(fake.accepted).toHaveLength(2)
  })

  it('result-url answers with a URL instead of base64; expired makes it 404 at once', async () => {
    fake.failNext({ kind: 'result-url' })
    const [linked] = await submit(editTask())
    expect(linked?.imageBase64Data).toBeUndefined()
    expect((await fetch(linked?.imageURL ?? '')).status).toBe(200)
    fake.failNext({ kind: 'result-url', expired: true })
    const [expired] = await submit(editTask())
    expect((await fetch(expired?.imageURL ?? '')).status).toBe(404)
  })

  it('truncated-image cuts the result bytes short', async () => {
    fake.failNext({ kind: 'truncated-image' })
    const [result] = await submit(editTask())
    const bytes = decodeBase64(result?.imageBase64Data)
    expect(bytes.length).toBeLessThan(makePng(1392, 752, 7).length)
    expect(Buffer.from(bytes.subarray(bytes.length - 8)).toString('latin1')).not.toContain('IEND')
  })

  it('poll faults answer one poll each and never touch the task', async () => {
    const task = editTask({ deliveryMethod: 'async' })
    await submitAsync(task)
    fake.failNextPoll({ kind: 'status', status: 502 })
    fake.failNextPoll({ kind: 'malformed' })
    fake.failNextPoll({ kind: 'reset' })
    fake.failNextPoll({ kind: 'not-found' })
    await expectError(await poll(String(task.taskUUID)), 502, 'badGateway')
    await expect((await poll(String(task.taskUUID))).json()).rejects.toThrow()
    await expect(poll(String(task.taskUUID))).rejects.toThrow()
    await expectError(await poll(String(task.taskUUID)), 400, 'taskFailedOrNotFound')
    expect((await statusesUntilDone(String(task.taskUUID))).at(-1)).toEqual(['success'])
    expect(fake.accepted).toHaveLength(1)
  })
})

describe('the uniform handle for the cross-host test', () => {
  it('gives the relay env, counts billed submissions and closes', async () => {
    const handle = await startRunwareForRelayAsync()
    expect(Object.keys(handle.env).sort()).toEqual(['RUNWARE_API_KEY', 'RUNWARE_API_URL'])
    const response = await fetch(handle.env.RUNWARE_API_URL!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${handle.env.RUNWARE_API_KEY}` },
      body: JSON.stringify([editTask()])
    })
    expect(response.status).toBe(200)
    expect(handle.submissions()).toBe(1)
    expect(handle.duplicates()).toBe(0)
    await handle.close()
  })

  it('passes failNext to the fake and counts a resubmitted taskUUID as a duplicate', async () => {
    const handle = await startRunwareForRelayAsync()
    const send = (task: Record<string, unknown>): Promise<Response> =>
      fetch(handle.env.RUNWARE_API_URL!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${handle.env.RUNWARE_API_KEY}` },
        body: JSON.stringify([task])
      })
    handle.failNext({ kind: 'status', status: 429, retryAfterSeconds: 2 })
    handle.failNext({ kind: 'truncated-image' })
    const task = editTask()
    const refused = await send(task)
    expect(refused.headers.get('retry-after')).toBe('2')
    await expectError(refused, 429, 'rateLimitExceeded')
    expect(handle.submissions()).toBe(0)
    const [result] = ResultBody.parse(await (await send(task)).json()).data
    expect(decodeBase64(result?.imageBase64Data).length).toBeLessThan(makePng(1024, 1024, 7).length)
    expect(handle.submissions()).toBe(1)
    await expectError(await send(task), 400, 'conflictTaskUUID')
    expect(handle.duplicates()).toBe(1)
    expect(handle.submissions()).toBe(1)
    await handle.close()
  })
})
