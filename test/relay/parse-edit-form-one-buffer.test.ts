/**
 * parseEditFormAsync copies the body as it arrives into one buffer of its declared length and
 * takes each image as a view of it (relay/http/parse-edit-form-async.ts, `intoOneBuffer`), so an
 * upload is held once (test/campaign/inflight-memory.test.ts). These check the images come out
 * byte for byte however the body is cut into chunks, and whatever Content-Length it declares.
 */
import { describe, expect, it } from 'vitest'
import { parseEditFormAsync } from '../../relay/http/parse-edit-form-async'
import { makePng } from '../fakes/make-image'

const BOUNDARY = 'kontext-one-buffer-boundary'
const encoder = new TextEncoder()

function multipart(images: Uint8Array[]): Uint8Array {
  const pieces: Uint8Array[] = [
    encoder.encode(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="request"\r\n\r\n${JSON.stringify({ prompt: 'Make the sky purple' })}\r\n`
    )
  ]
  images.forEach((image, index) => {
    pieces.push(
      encoder.encode(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="frame-${index}.png"\r\nContent-Type: image/png\r\n\r\n`
      ),
      image,
      encoder.encode('\r\n')
    )
  })
  pieces.push(encoder.encode(`--${BOUNDARY}--\r\n`))
  const body = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.byteLength, 0))
  let at = 0
  for (const piece of pieces) {
    body.set(piece, at)
    at += piece.byteLength
  }
  return body
}

/**
 * How a source's chunks lie in memory: each in a fresh buffer of its own, as a socket hands them
 * out; each a view of one shared pool with a gap before the next, as Node's pooled Buffers are; or
 * each a view of a buffer of its own at the chunk's place in the body, so that a chunk starts at
 * the offset where the previous one ended, but in another buffer.
 */
type ChunkLayout = 'fresh' | 'pooled' | 'placed'

function request(body: Uint8Array, chunkBytes: number, declaredLength: number | undefined, layout: ChunkLayout = 'fresh'): Request {
  let at = 0
  const pool = new Uint8Array(body.byteLength * 2)
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= body.byteLength) return controller.close()
      const chunk = body.subarray(at, at + chunkBytes)
      const place: Record<ChunkLayout, () => [Uint8Array, number]> = {
        fresh: () => [new Uint8Array(chunk.byteLength), 0],
        pooled: () => [pool, 2 * at],
        placed: () => [new Uint8Array(body.byteLength), at]
      }
      const [buffer, offset] = place[layout]()
      buffer.set(chunk, offset)
      controller.enqueue(buffer.subarray(offset, offset + chunk.byteLength))
      at += chunkBytes
    }
  })
  const headers: Record<string, string> = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }
  if (declaredLength !== undefined) headers['content-length'] = String(declaredLength)
  return new Request('http://127.0.0.1/v1/edits', { method: 'POST', body: stream, headers, duplex: 'half' } as RequestInit)
}

describe('images taken from one buffer as the body arrives', () => {
  const images = [makePng(320, 200, 3), makePng(64, 36, 4)]
  const body = multipart(images)

  it.each([
    ['the exact length, in 64 KiB chunks', 65_536, body.byteLength],
    ['the exact length, in 13-byte chunks', 13, body.byteLength],
    ['the exact length, in 7-byte chunks (boundaries cut across chunks)', 7, body.byteLength],
    ['a length shorter than the body', 4096, body.byteLength - 5000],
    ['a length a little shorter than the body, in 13-byte chunks', 13, body.byteLength - 100],
    ['a length longer than the body', 4096, body.byteLength + 100_000],
    ['no length', 4096, undefined],
    ['no length, in 7-byte chunks', 7, undefined]
  ])('%s: every image byte for byte', async (_name, chunkBytes, declared) => {
    const { request: edit, references } = await parseEditFormAsync(request(body, chunkBytes, declared), { availableProviders: ['runware'] })
    expect(edit.prompt).toBe('Make the sky purple')
    expect(references.map((reference) => Buffer.from(reference.bytes).equals(Buffer.from(images[references.indexOf(reference)]!)))).toEqual(
      [true, true]
    )
  })

  it.each([1, 2, 5])(
    'reads a body cut into %i-byte chunks: the CRLF after the close delimiter (an epilogue) may arrive on its own',
    async (chunkBytes) => {
      const small = multipart([makePng(24, 16, 5)])
      for (const declared of [small.byteLength, undefined]) {
        const { request: edit, references } = await parseEditFormAsync(request(small, chunkBytes, declared), {
          availableProviders: ['runware']
        })
        expect(edit.prompt).toBe('Make the sky purple')
        expect(references).toHaveLength(1)
      }
    }
  )

  it.each([
    ['pooled', 1000],
    ['pooled', 4096],
    ['placed', 1000],
    ['placed', 4096]
  ] as const)('reads every image byte for byte from %s %i-byte chunks', async (layout, chunkBytes) => {
    const { references } = await parseEditFormAsync(request(body, chunkBytes, undefined, layout), { availableProviders: ['runware'] })
    expect(references.map((reference, index) => Buffer.from(reference.bytes).equals(Buffer.from(images[index]!)))).toEqual([true, true])
  })

  it('takes an image as a view of the one buffer, not a copy, when the body declares its length', async () => {
    const { references } = await parseEditFormAsync(request(body, 1000, body.byteLength), { availableProviders: ['runware'] })
    expect(references.map((reference) => reference.bytes.buffer.byteLength)).toEqual([body.byteLength, body.byteLength])
    expect(references[0]!.bytes.buffer).toBe(references[1]!.bytes.buffer)
  })
})
