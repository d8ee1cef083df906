import { MAX_REFERENCES } from '../../shared/limits'
import { describe, expect, it } from 'vitest'
import { MAX_PART_HEADER_BYTES, MAX_REQUEST_PART_BYTES, parseEditFormAsync } from '../../relay/http/parse-edit-form-async'
import { AppError } from '../../shared/errors'
import { makePng } from '../fakes/make-image'

const BOUNDARY = 'edit-form-boundary'
const encoder = new TextEncoder()
const PNG = makePng(32, 24, 3)
const USAGE = 'Send multipart/form-data with a "request" part (JSON) and one or more "image" parts.'

interface Part {
  /** undefined: no name parameter at all */
  name?: string
  filename?: string
  body: string | Uint8Array
  /** Extra header lines. */
  headers?: string[]
}

const requestPart = (json: unknown = { prompt: 'Make it blue' }): Part => ({
  name: 'request',
  body: typeof json === 'string' ? json : JSON.stringify(json)
})
/** filename null: sent as a text field, with no filename. */
const imagePart = (bytes: Uint8Array = PNG, filename: string | null = 'frame.png'): Part => ({
  name: 'image',
  ...(filename === null ? {} : { filename }),
  body: bytes,
  headers: ['Content-Type: image/png']
})

function join(pieces: Uint8Array[]): Uint8Array {
  const body = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.byteLength, 0))
  let at = 0
  for (const piece of pieces) {
    body.set(piece, at)
    at += piece.byteLength
  }
  return body
}

function multipart(parts: Part[], boundary = BOUNDARY): Uint8Array {
  const pieces: Uint8Array[] = []
  for (const part of parts) {
    const disposition = [
      'Content-Disposition: form-data',
      ...(part.name === undefined ? [] : [`name="${part.name}"`]),
      ...(part.filename === undefined ? [] : [`filename="${part.filename}"`])
    ].join('; ')
    const head = [`--${boundary}`, disposition, ...(part.headers ?? []), '', ''].join('\r\n')
    pieces.push(encoder.encode(head), typeof part.body === 'string' ? encoder.encode(part.body) : part.body, encoder.encode('\r\n'))
  }
  pieces.push(encoder.encode(`--${boundary}--\r\n`))
  return join(pieces)
}

function post(
  body: Uint8Array | ReadableStream<Uint8Array> | null,
  contentType = `multipart/form-data; boundary=${BOUNDARY}`,
  length?: number
): Request {
  const headers: Record<string, string> = { 'content-type': contentType }
  if (length !== undefined) headers['content-length'] = String(length)
  return new Request('http://127.0.0.1/v1/edits', { method: 'POST', body, headers, duplex: 'half' } as RequestInit)
}

const CONTEXT = { availableProviders: ['runware', 'fal'] }

async function refusalAsync(request: Request, context = CONTEXT): Promise<{ code: string; message: string }> {
  const error = await parseEditFormAsync(request, context).then(
    () => undefined,
    (thrown: unknown) => thrown
  )
  expect(error).toBeInstanceOf(AppError)
  return { code: (error as AppError).code, message: (error as AppError).message }
}

const invalid = (message: string) => ({ code: 'invalid_request', message })

describe('parseEditFormAsync: the envelope', () => {
  it('reads a request and an image', async () => {
    const { request, references } = await parseEditFormAsync(post(multipart([requestPart(), imagePart()])), CONTEXT)
    expect(request).toMatchObject({ prompt: 'Make it blue', model: 'kontext-max', numImages: 1 })
    expect(references).toHaveLength(1)
    expect(references[0]).toMatchObject({ width: 32, height: 24 })
    expect(Buffer.from(references[0]!.bytes).equals(Buffer.from(PNG))).toBe(true)
  })

  it.each([
    `multipart/form-data; boundary=${BOUNDARY}`,
    `Multipart/Form-Data;boundary="${BOUNDARY}"`,
    `multipart/form-data ; charset=utf-8; boundary=${BOUNDARY}; foo=bar`,
    `multipart/form-data; boundary=${BOUNDARY}  `
  ])('takes the content type %s', async (contentType) => {
    const { references } = await parseEditFormAsync(post(multipart([requestPart(), imagePart()]), contentType), CONTEXT)
    expect(references).toHaveLength(1)
  })

  it('takes a boundary of 70 characters and refuses one of 71', async () => {
    const long = 'b'.repeat(70)
    const body = multipart([requestPart(), imagePart()], long)
    expect((await parseEditFormAsync(post(body, `multipart/form-data; boundary=${long}`), CONTEXT)).references).toHaveLength(1)
    expect((await parseEditFormAsync(post(body, `multipart/form-data; boundary="${long}"`), CONTEXT)).references).toHaveLength(1)
    const tooLong = `${long}b`
    const tooLongBody = multipart([requestPart(), imagePart()], tooLong)
    expect(await refusalAsync(post(tooLongBody, `multipart/form-data; boundary=${tooLong}`))).toEqual(invalid(USAGE))
    expect(await refusalAsync(post(tooLongBody, `multipart/form-data; boundary="${tooLong}"`))).toEqual(invalid(USAGE))
  })

  it.each([
    'application/json',
    'multipart/form-data',
    `multipart/mixed; boundary=${BOUNDARY}`,
    `multipart/form-data; boundary=`,
    `text/plain; x=multipart/form-data; boundary=${BOUNDARY}`,
    `multipart/form-data; xboundary=${BOUNDARY}`,
    `multipart/form-data; boundary=${BOUNDARY} extra`,
    `multipart/form-data; boundary="${BOUNDARY}`,
    `multipart/form-data; boundary=""`
  ])('refuses the content type %s', async (contentType) => {
    expect(await refusalAsync(post(multipart([requestPart(), imagePart()]), contentType))).toEqual(invalid(USAGE))
  })

  it('refuses a request without a content type or without a body', async () => {
    const bare = new Request('http://127.0.0.1/v1/edits', { method: 'POST' })
    expect(await refusalAsync(bare)).toEqual(invalid(USAGE))
    expect(await refusalAsync(post(null))).toEqual(invalid(`The request has no body. ${USAGE}`))
  })

  it('refuses a body that is not multipart', async () => {
    expect(await refusalAsync(post(encoder.encode('not multipart at all')))).toEqual(
      invalid(`The multipart body could not be read. ${USAGE}`)
    )
  })

  it('refuses a part with headers over 4 KB, and takes them at 4 KB', async () => {
    const filler = (bytes: number) => `X-Filler: ${'f'.repeat(bytes)}`
    // The limit counts the header block: the disposition line, CRLFs and our filler.
    const disposition = 'Content-Disposition: form-data; name="request"'
    const fits = MAX_PART_HEADER_BYTES - disposition.length - '\r\n'.length - 'X-Filler: '.length
    expect(
      (await parseEditFormAsync(post(multipart([{ ...requestPart(), headers: [filler(fits)] }, imagePart()])), CONTEXT)).references
    ).toHaveLength(1)
    expect(await refusalAsync(post(multipart([{ ...requestPart(), headers: [filler(fits + 1)] }, imagePart()])))).toEqual(
      invalid(`A part's headers are longer than 4 KB. ${USAGE}`)
    )
  })

  it('refuses a part over 20 MB as too large', async () => {
    const huge = new Uint8Array(20 * 1024 * 1024 + 1)
    expect(await refusalAsync(post(multipart([requestPart(), imagePart(huge)])))).toEqual({
      code: 'payload_too_large',
      message: 'A part is larger than 20 MB, the limit for an image.'
    })
  })

  it('takes the most images of 20 MB and a 64 KB request part, the most the parts may add up to, on to the image check', async () => {
    const big = new Uint8Array(20 * 1024 * 1024)
    const request = `{"prompt":"Make it blue"${' '.repeat(MAX_REQUEST_PART_BYTES - 25)}}`
    expect(request).toHaveLength(MAX_REQUEST_PART_BYTES)
    const parts = [requestPart(request), ...Array.from({ length: MAX_REFERENCES }, () => imagePart(big))]
    expect(await refusalAsync(post(multipart(parts)))).toEqual({
      code: 'invalid_image',
      message: 'Image 1 is not a complete PNG, JPEG or WebP image.'
    })
  })

  it('refuses parts that add up to more than the relay accepts', async () => {
    const big = new Uint8Array(20 * 1024 * 1024)
    const parts = [
      requestPart(),
      ...Array.from({ length: MAX_REFERENCES }, () => imagePart(big)),
      { name: 'request', body: 'x'.repeat(70_000) }
    ]
    expect(await refusalAsync(post(multipart(parts)))).toEqual({
      code: 'payload_too_large',
      message: 'The parts add up to more than this relay accepts.'
    })
  })
})

describe('parseEditFormAsync: the parts', () => {
  it('refuses a request part over 64 KB, and takes one of exactly 64 KB', async () => {
    const json = (bytes: number) => {
      const base = JSON.stringify({ prompt: 'Make it blue' })
      return `${base.slice(0, -1)}${' '.repeat(bytes - base.length)}}`
    }
    expect(json(MAX_REQUEST_PART_BYTES)).toHaveLength(65_536)
    expect((await parseEditFormAsync(post(multipart([requestPart(json(65_536)), imagePart()])), CONTEXT)).request.prompt).toBe(
      'Make it blue'
    )
    expect(await refusalAsync(post(multipart([requestPart(json(65_537)), imagePart()])))).toEqual(
      invalid('The "request" part is 65 KB; the limit is 64 KB.')
    )
    expect(await refusalAsync(post(multipart([requestPart(json(70_000)), imagePart()])))).toEqual(
      invalid('The "request" part is 69 KB; the limit is 64 KB.')
    )
  })

  it('refuses a request part that is not JSON', async () => {
    expect(await refusalAsync(post(multipart([requestPart('{"prompt":'), imagePart()])))).toEqual(
      invalid('The "request" part is not valid JSON.')
    )
  })

  it('refuses two request parts, and none', async () => {
    const message = 'Send exactly one "request" part with the edit as JSON.'
    expect(await refusalAsync(post(multipart([requestPart(), requestPart(), imagePart()])))).toEqual(invalid(message))
    expect(await refusalAsync(post(multipart([imagePart()])))).toEqual(invalid(message))
  })

  it('refuses a form without an image', async () => {
    expect(await refusalAsync(post(multipart([requestPart()])))).toEqual(invalid('Add at least one "image" part with the reference image.'))
  })

  it('refuses an image sent as text, naming which', async () => {
    expect(await refusalAsync(post(multipart([requestPart(), imagePart(PNG, null)])))).toEqual(
      invalid('The image must be sent as a file part, not text.')
    )
    expect(await refusalAsync(post(multipart([requestPart(), imagePart(), imagePart(PNG, null)])))).toEqual(
      invalid('Image 2 must be sent as a file part, not text.')
    )
  })

  it('refuses a part with another name, or with none, quoting the name safely', async () => {
    const allowed = 'Only "request" and "image" are allowed.'
    expect(await refusalAsync(post(multipart([requestPart(), { name: 'mask', body: 'x' }])))).toEqual(
      invalid(`Unknown part "mask". ${allowed}`)
    )
    expect(await refusalAsync(post(multipart([requestPart(), { body: 'x' }])))).toEqual(invalid(`Unknown part without a name. ${allowed}`))
    expect(await refusalAsync(post(multipart([requestPart(), { name: `${'m'.repeat(50)}`, body: 'x' }])))).toEqual(
      invalid(`Unknown part "${'m'.repeat(40)}…". ${allowed}`)
    )
  })

  it('takes up to 8 images (FLUX.2 on BFL), and counts the images of a form with more', async () => {
    expect(MAX_REFERENCES).toBe(8)
    const images = (count: number) => Array.from({ length: count }, () => imagePart())
    const eight = [requestPart(), ...images(8)]
    expect((await parseEditFormAsync(post(multipart(eight)), CONTEXT)).references).toHaveLength(8)
    expect(await refusalAsync(post(multipart([...eight, ...images(1)])))).toEqual(
      invalid('Send at most 8 reference images; this request has 9.')
    )
    expect(await refusalAsync(post(multipart([...eight, ...images(4)])))).toEqual(
      invalid('Send at most 8 reference images; this request has 12.')
    )
    // Past the parser's part limit (8 + 5), the count is a lower bound.
    expect(await refusalAsync(post(multipart([...eight, ...images(8)])))).toEqual(
      invalid('Send at most 8 reference images; this request has more than 12.')
    )
  })

  it('answers the first wrong part of a form with too many images, not the image count', async () => {
    const tooMany = [requestPart(), ...Array.from({ length: MAX_REFERENCES + 1 }, () => imagePart())]
    expect(await refusalAsync(post(multipart([...tooMany, { name: 'mask', body: 'x' }])))).toEqual(
      invalid('Unknown part "mask". Only "request" and "image" are allowed.')
    )
    expect(await refusalAsync(post(multipart([...tooMany, imagePart(PNG, null)])))).toEqual(
      invalid(`Image ${MAX_REFERENCES + 2} must be sent as a file part, not text.`)
    )
  })

  it('names the image that is not an image, by its place when there are several', async () => {
    const junk = encoder.encode('not an image at all')
    expect(await refusalAsync(post(multipart([requestPart(), imagePart(junk)])))).toEqual({
      code: 'invalid_image',
      message: 'The image is not a complete PNG, JPEG or WebP image.'
    })
    expect(await refusalAsync(post(multipart([requestPart(), imagePart(), imagePart(junk)])))).toEqual({
      code: 'invalid_image',
      message: 'Image 2 is not a complete PNG, JPEG or WebP image.'
    })
    expect(await refusalAsync(post(multipart([requestPart(), imagePart(new Uint8Array(0))])))).toMatchObject({ code: 'invalid_image' })
  })
})

describe('parseEditFormAsync: the rest of a refused body', () => {
  const MIB = 1024 * 1024

  /** A body: `head`, then `chunks` chunks of 1 MiB (endless when undefined); counts what was pulled and whether it was canceled. */
  function streamed(head: Uint8Array, chunks: number | undefined) {
    const seen = { pulledMiB: 0, canceled: false, closed: false }
    let sentHead = false
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (!sentHead) {
            sentHead = true
            controller.enqueue(head)
          } else if (chunks === undefined || seen.pulledMiB < chunks) {
            seen.pulledMiB += 1
            controller.enqueue(new Uint8Array(MIB))
          } else {
            seen.closed = true
            controller.close()
          }
        },
        cancel() {
          seen.canceled = true
        }
      },
      { highWaterMark: 0 }
    )
    return { stream, seen }
  }

  const refusedHead = () => encoder.encode(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="mask"\r\n\r\nx\r\n--${BOUNDARY}\r\n`)

  it('reads a little more of the body after a refusal, to its end', async () => {
    const { stream, seen } = streamed(refusedHead(), 3)
    expect((await refusalAsync(post(stream))).message).toMatch(/^Unknown part "mask"/)
    expect(seen).toEqual({ pulledMiB: 3, canceled: false, closed: true })
  })

  it('stops reading after 8 MiB more and cancels the rest', async () => {
    const { stream, seen } = streamed(refusedHead(), undefined)
    expect((await refusalAsync(post(stream))).message).toMatch(/^Unknown part "mask"/)
    expect(seen.canceled).toBe(true)
    expect(seen.pulledMiB).toBe(9)
  })
})

describe('parseEditFormAsync: one buffer for a declared length', () => {
  // MAX_REFERENCES images of 20 MiB and the request part, plus MAX_REFERENCES + 5 parts' headers and boundaries (4 KiB + 128 each).
  const LARGEST_DECLARED = MAX_REFERENCES * 20 * 1024 * 1024 + 64 * 1024 + (MAX_REFERENCES + 5) * (4 * 1024 + 128)

  async function bufferLengthForAsync(declared: number): Promise<number> {
    const body = multipart([requestPart(), imagePart()])
    const { references } = await parseEditFormAsync(post(body, undefined, declared), CONTEXT)
    return references[0]!.bytes.buffer.byteLength
  }

  it('takes the image as a view of one buffer of the declared length, up to the largest body the relay reads', async () => {
    expect(await bufferLengthForAsync(LARGEST_DECLARED)).toBe(LARGEST_DECLARED)
    expect(await bufferLengthForAsync(1_000_000)).toBe(1_000_000)
  })

  it('reads a body that declares more than that as it comes, without the one buffer', async () => {
    expect(await bufferLengthForAsync(LARGEST_DECLARED + 1)).not.toBe(LARGEST_DECLARED + 1)
  })
})

describe('parseEditFormAsync: what is wrong with the request', () => {
  const models =
    'Models: kontext-max, kontext-pro, kontext-dev, flux2-flex, flux2-pro, flux2-max, flux2-dev, flux2-klein-4b, flux2-klein-9b.'
  it.each([
    ['{"prompt":"ok ok","colour":1}', 'Unknown field: colour.'],
    ['{"prompt":"ok ok","a":1,"b":2}', 'Unknown fields: a, b.'],
    ['{"prompt":"ok ok","a":1,"b":2,"c":3,"d":4}', 'Unknown fields: a, b, c and 1 more.'],
    ['{"prompt":"ok ok","provider":"nope"}', 'Unknown host "nope". Available on this relay: runware, fal.'],
    ['{"prompt":"ok ok","provider":7}', 'Unknown host of type number. Available on this relay: runware, fal.'],
    ['{"prompt":"ok ok","model":null}', `Unknown model of type null. ${models}`],
    ['{"prompt":"ok ok","model":"x\\u0000y"}', `Unknown model "xy". ${models}`],
    ['{"prompt":"ok ok","numImages":0}', 'numImages: must be at least 1.'],
    ['{"prompt":"ok ok","numImages":9}', 'numImages: must be at most 4.'],
    ['{"prompt":"ok ok","seed":-1}', 'seed: must be at least 0.'],
    ['{"prompt":"x"}', 'prompt: The instruction needs at least 2 characters.'],
    ['5', 'Invalid input: expected object, received number'],
    ['[]', 'Invalid input: expected object, received array'],
    [
      '{"prompt":1,"numImages":0,"seed":-1}',
      'prompt: Invalid input: expected string, received number numImages: must be at least 1. seed: must be at least 0.'
    ],
    [
      '{"prompt":1,"numImages":0,"seed":-1,"steps":0}',
      'prompt: Invalid input: expected string, received number numImages: must be at least 1. seed: must be at least 0. And 1 more problem.'
    ],
    [
      '{"prompt":1,"numImages":0,"seed":-1,"steps":0,"guidance":101}',
      'prompt: Invalid input: expected string, received number numImages: must be at least 1. seed: must be at least 0. And 2 more problems.'
    ]
  ])('answers %s with: %s', async (json, message) => {
    expect(await refusalAsync(post(multipart([requestPart(json), imagePart()])))).toEqual(invalid(message))
  })

  it('says when the relay has no host to offer', async () => {
    const request = post(multipart([requestPart('{"prompt":"ok ok","provider":"nope"}'), imagePart()]))
    expect(await refusalAsync(request, { availableProviders: [] })).toEqual(invalid('Unknown host "nope". Available on this relay: none.'))
  })
})
