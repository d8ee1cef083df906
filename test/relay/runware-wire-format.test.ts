import { describe, expect, it } from 'vitest'
import { makeJpeg, makePng } from '../fakes/make-image'
import { API_KEY, DEFAULT_REQUEST, editForm, itKeepsSecretsOutOfResponsesAndLogs, REFERENCE_PNG, startRelayAsync, submissions } from './relay-harness'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function dataUri(type: string, bytes: Uint8Array): string {
  return `data:${type};base64,${Buffer.from(bytes).toString('base64')}`
}

describe('the task the relay sends to Runware', () => {
  it('has exactly the documented fields for a default request', async () => {
    const relay = await startRelayAsync()
    const id = await relay.createEditAsync({ prompt: '  Make the sky purple, keep everything else  ' })
    expect((await relay.waitForEndAsync(id)).status).toBe('succeeded')

    const [request] = relay.fake!.requests
    expect(request).toMatchObject({ method: 'POST', path: '/v1' })
    expect(request!.headers.authorization).toBe(`Bearer ${API_KEY}`)
    expect(request!.headers['content-type']).toMatch(/^application\/json/)
    expect(Array.isArray(request!.body) && request!.body).toHaveLength(1)

    const [task] = submissions(relay.fake!)
    expect(task).toEqual({
      taskType: 'imageInference',
      taskUUID: expect.stringMatching(UUID_V4),
      model: 'bfl:4@1',
      positivePrompt: 'Make the sky purple, keep everything else',
      inputs: { referenceImages: [dataUri('image/png', REFERENCE_PNG)] },
      width: 1392,
      height: 752,
      numberResults: 1,
      outputType: 'base64Data',
      outputFormat: 'PNG',
      includeCost: true,
      providerSettings: { bfl: { promptUpsampling: false, safetyTolerance: 2 } }
    })
    expect(task).not.toHaveProperty('seed')
    expect(relay.fake!.accepted).toHaveLength(1)
  })

  it('maps every option of the request onto the task', async () => {
    const relay = await startRelayAsync()
    const id = await relay.createEditAsync({
      prompt: 'Make the sky purple',
      model: 'kontext-pro',
      aspectRatio: '3:2',
      numImages: 3,
      seed: 4_294_967_295,
      outputFormat: 'jpeg',
      promptUpsampling: true,
      safetyTolerance: 5
    })
    expect((await relay.waitForEndAsync(id)).status).toBe('succeeded')

    expect(submissions(relay.fake!)[0]).toMatchObject({
      model: 'bfl:3@1',
      width: 1248,
      height: 832,
      numberResults: 3,
      seed: 4_294_967_295,
      outputFormat: 'JPG',
      providerSettings: { bfl: { promptUpsampling: true, safetyTolerance: 5 } }
    })
  })

  it('sends seed 0 when the request asks for seed 0', async () => {
    const relay = await startRelayAsync()
    await relay.waitForEndAsync(await relay.createEditAsync({ prompt: 'Make the sky purple', seed: 0 }))
    expect(submissions(relay.fake!)[0]).toHaveProperty('seed', 0)
  })

  it.each([
    [64, 36, '16:9', 1392, 752],
    [84, 36, '21:9', 1568, 672],
    [200, 10, '21:9 (the widest there is)', 1568, 672],
    [40, 30, '4:3', 1184, 880],
    [45, 30, '3:2', 1248, 832],
    [50, 50, '1:1', 1024, 1024],
    [30, 45, '2:3', 832, 1248],
    [30, 40, '3:4', 880, 1184],
    [36, 64, '9:16', 752, 1392],
    [36, 84, '9:21', 672, 1568]
  ])('picks the Kontext size nearest a %i×%i reference: %s', async (width, height, _ratio, outWidth, outHeight) => {
    const relay = await startRelayAsync()
    const job = await relay.waitForEndAsync(await relay.createEditAsync(DEFAULT_REQUEST, [makePng(width, height, 5)]))

    expect(submissions(relay.fake!)[0]).toMatchObject({ width: outWidth, height: outHeight })
    expect(job.images[0]).toMatchObject({ width: outWidth, height: outHeight })
  })

  it('sizes the output from the first reference when there are two', async () => {
    const relay = await startRelayAsync()
    await relay.waitForEndAsync(await relay.createEditAsync(DEFAULT_REQUEST, [makePng(36, 64, 1), makePng(64, 36, 2)]))
    expect(submissions(relay.fake!)[0]).toMatchObject({ width: 752, height: 1392 })
  })

  it('labels each reference by what its bytes are, not by the type the client declared', async () => {
    const relay = await startRelayAsync()
    const jpeg = makeJpeg(64, 36, 3)
    const form = editForm(DEFAULT_REQUEST, [
      { bytes: REFERENCE_PNG, type: 'image/jpeg', filename: 'frame.jpg' },
      { bytes: jpeg, type: 'application/octet-stream', filename: 'blob' }
    ])
    const response = await relay.postEditAsync(form)
    expect(response.status).toBe(202)
    await relay.jobs.settleAsync()

    const task = submissions(relay.fake!)[0] as { inputs: { referenceImages: string[] } }
    expect(task.inputs.referenceImages).toEqual([dataUri('image/png', REFERENCE_PNG), dataUri('image/jpeg', jpeg)])
  })

  it('uses a fresh taskUUID for every edit', async () => {
    const relay = await startRelayAsync()
    await relay.waitForEndAsync(await relay.createEditAsync())
    await relay.waitForEndAsync(await relay.createEditAsync())

    const uuids = submissions(relay.fake!).map((task) => task.taskUUID)
    expect(uuids).toHaveLength(2)
    expect(new Set(uuids).size).toBe(2)
    expect(relay.fake!.duplicateSubmissions).toBe(0)
  })
})

itKeepsSecretsOutOfResponsesAndLogs()
