/**
 * The upload checks of findings 5 and 6 on the Workers runtime: the built bundle in workerd, where
 * the PNG pixel data is inflated by the Web DecompressionStream (no node:zlib) and the multipart
 * body is parsed by @remix-run/multipart-parser over a Web stream. test/relay/image-completeness
 * and test/campaign/multipart-limits cover the same rules on Node.
 */
import { crc32, deflateSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeJpeg, makePng, makeWebpAsync } from '../fakes/make-image'
import { ALICE, errorOf } from '../team/team-harness'
import { itKeepsSecretsOutOfTheWorker, startWorkerRelayAsync, type WorkerRelay } from './worker-harness'

let relay: WorkerRelay

beforeAll(async () => {
  relay = await startWorkerRelayAsync()
}, 30_000)

afterAll(async () => {
  await relay?.close()
})

/** A real PNG with its IDAT data replaced by `data` and every CRC recomputed (so only the pixel data is wrong). */
function withIdat(png: Uint8Array, data: Uint8Array): Uint8Array {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
  const chunks: Buffer[] = [Buffer.from(png.subarray(0, 8))]
  let idatWritten = false
  for (let offset = 8; offset < png.length;) {
    const length = view.getUint32(offset)
    const type = Buffer.from(png.subarray(offset + 4, offset + 8))
    offset += 12 + length
    const isIdat = type.toString('latin1') === 'IDAT'
    if (isIdat && idatWritten) continue
    idatWritten ||= isIdat
    const body = isIdat ? Buffer.from(data) : Buffer.from(png.subarray(offset - 4 - length, offset - 4))
    const head = Buffer.alloc(8)
    head.writeUInt32BE(body.length, 0)
    type.copy(head, 4)
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(Buffer.concat([type, body])), 0)
    chunks.push(Buffer.concat([head, body, crc]))
  }
  return new Uint8Array(Buffer.concat(chunks))
}

describe('the worker in workerd: complete images only', () => {
  it('refuses a PNG whose IDAT is garbage or too short for its header, before the host is called', async () => {
    const before = relay.runware.requests.length
    for (const broken of [
      withIdat(makePng(64, 36, 3), new Uint8Array(300).fill(0x5a)),
      withIdat(makePng(64, 36, 3), deflateSync(new Uint8Array(10)))
    ]) {
      const response = await relay.postEditAsync(undefined, [broken], ALICE.token)
      expect(response.status).toBe(400)
      expect(await errorOf(response)).toMatchObject({
        code: 'invalid_image',
        message: expect.stringMatching(/^The image is not a complete PNG image/)
      })
    }
    expect(relay.runware.requests.length).toBe(before)
  })

  it('accepts complete PNG, JPEG and WebP references', async () => {
    for (const image of [makePng(64, 36, 3), makeJpeg(64, 36, 3), await makeWebpAsync(64, 36, 3)]) {
      const response = await relay.postEditAsync(undefined, [image], ALICE.token)
      expect(response.status, await response.clone().text()).toBe(202)
    }
  })

  it('stops reading a body of many empty parts at the first one, and quotes none of it at length', async () => {
    const one = `--b0undary\r\nContent-Disposition: form-data; name="${'a'.repeat(100)}"\r\n\r\n\r\n`
    const response = await relay.requestAsync(
      '/v1/edits',
      {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=b0undary' },
        body: one.repeat(20_000) + '--b0undary--\r\n'
      },
      ALICE.token
    )
    expect(response.status).toBe(400)
    expect(await errorOf(response)).toEqual({
      code: 'invalid_request',
      message: `Unknown part "${'a'.repeat(40)}…". Only "request" and "image" are allowed.`
    })
  })
})

itKeepsSecretsOutOfTheWorker()
