/**
 * fast-check generators of malformed requests to the relay (so malformed that practically none
 * reaches the job path: nearly-valid-requests.ts makes those): random
 * methods and paths, wrong Authorization formats, lying content types, huge header values, random
 * JSON bodies, hand-built multipart with missing, duplicate and unknown parts and wrong or missing
 * boundaries, `request` parts with random JSON and edge strings, and images that are truncated,
 * lie about their type, or whose PNG IHDR claims giant dimensions.
 */
import { deflateSync } from 'node:zlib'
import fc from 'fast-check'
import { ProviderId } from '../../shared/models'
import { makePng } from '../fakes/make-image'
import { concatBytes } from '../support/concat-bytes'

export const FUZZ_TOKEN = 'fuzz-token-0123456789abcdef'

/** One request, as bytes, so the same case runs in-process (app.request) and over a raw socket. */
export interface FuzzRequest {
  method: string
  path: string
  headers: Array<[string, string]>
  body: Uint8Array | undefined
  /** What the case is, for the figure's breakdown. */
  kind: string
}

const encoder = new TextEncoder()
const bytesOf = (text: string): Uint8Array => encoder.encode(text)

const concat = concatBytes

// ---------------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const head = new Uint8Array(8)
  new DataView(head.buffer).setUint32(0, data.length)
  head.set(bytesOf(type), 4)
  const crc = new Uint8Array(4)
  new DataView(crc.buffer).setUint32(0, crc32(concat([bytesOf(type), data])))
  return concat([head, data, crc])
}

const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** A complete PNG (signature … IEND, valid CRCs) whose IHDR claims width × height. */
export function pngClaiming(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(13)
  const view = new DataView(ihdr.buffer)
  view.setUint32(0, width >>> 0)
  view.setUint32(4, height >>> 0)
  ihdr.set([8, 6, 0, 0, 0], 8)
  return concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(new Uint8Array(16))), chunk('IEND', new Uint8Array(0))])
}

export const VALID_PNG = makePng(64, 36, 3)
const VALID_PNG_2 = makePng(40, 40, 9)

const image: fc.Arbitrary<{ bytes: Uint8Array; label: string }> = fc.oneof(
  fc.constant({ bytes: VALID_PNG, label: 'png' }),
  fc.constant({ bytes: VALID_PNG_2, label: 'png' }),
  fc.integer({ min: 0, max: VALID_PNG.length - 1 }).map((end) => ({ bytes: VALID_PNG.slice(0, end), label: 'truncated png' })),
  fc
    .record({
      width: fc.oneof(fc.constantFrom(0, 1, 4096, 5000, 65535, 100_000, 2 ** 31 - 1, 2 ** 32 - 1), fc.nat()),
      height: fc.oneof(fc.constantFrom(0, 1, 4096, 5000, 65535, 100_000, 2 ** 31 - 1, 2 ** 32 - 1), fc.nat())
    })
    .map(({ width, height }) => ({ bytes: pngClaiming(width, height), label: 'giant-ihdr png' })),
  fc.uint8Array({ maxLength: 600 }).map((bytes) => ({ bytes, label: 'random bytes' })),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => ({
    bytes: concat([new Uint8Array([0xff, 0xd8, 0xff]), bytes, new Uint8Array([0xff, 0xd9])]),
    label: 'jpeg-shaped garbage'
  })),
  fc.record({ size: fc.nat(), tail: fc.uint8Array({ maxLength: 64 }) }).map(({ size, tail }) => {
    const head = concat([
      'RIFF',
      new Uint8Array([size & 0xff, (size >>> 8) & 0xff, (size >>> 16) & 0xff, (size >>> 24) & 0xff]),
      'WEBPVP8 '
    ])
    return { bytes: concat([head, tail]), label: 'webp-shaped garbage' }
  }),
  fc.constant({
    bytes: concat([PNG_SIGNATURE, new Uint8Array([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82])]),
    label: 'png signature + IEND only'
  }),
  fc.constant({ bytes: new Uint8Array(0), label: 'empty' })
)

// ---------------------------------------------------------------------------------------------
// Strings and the `request` part
// ---------------------------------------------------------------------------------------------

const EDGE_STRINGS = [
  '\uD800',
  'a\uDC00b',
  '\uDFFF\uD800',
  '\u200F\u202Eevil\u202C',
  '\u200B\u200C\u200D\uFEFF',
  '👩🏽‍🚀🏳️‍🌈🇺🇳',
  '\u0000\u0001\u001F',
  'e\u0301\u0301\u0301',
  '   ',
  'x',
  '𝕳𝖊𝖑𝖑𝖔',
  '\u2028\u2029',
  '"}]\\',
  'ok'
]

const edgeString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...EDGE_STRINGS),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(3000, 3001, 5000).map((length) => 'é'.repeat(length)),
  fc.constant('a'.repeat(3001)),
  fc.constant(`${'🙂'.repeat(1500)}`),
  fc.constant('\uD83D'.repeat(3001))
)

const prompt = fc.oneof(edgeString, fc.constant('Make the sky purple, keep everything else'))

/** Fields the relay knows, with values of the right and wrong types. */
const editFields: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    prompt: fc.oneof(prompt, fc.jsonValue()),
    provider: fc.oneof(fc.constantFrom(...ProviderId.options, 'RUNWARE', ''), edgeString, fc.jsonValue()),
    model: fc.oneof(fc.constantFrom('kontext-max', 'kontext-pro', 'kontext-dev', 'kontext'), fc.jsonValue()),
    aspectRatio: fc.oneof(fc.constantFrom('auto', '16:9', '1:1', '9:21', '2:1', '16/9'), fc.jsonValue()),
    numImages: fc.oneof(fc.integer({ min: -2, max: 6 }), fc.double(), fc.constant('2'), fc.constant(1e308)),
    seed: fc.oneof(fc.integer({ min: -1, max: 2 ** 32 }), fc.constant(Number.MAX_SAFE_INTEGER + 2), fc.double()),
    outputFormat: fc.oneof(fc.constantFrom('png', 'jpeg', 'webp', 'gif'), fc.jsonValue()),
    promptUpsampling: fc.oneof(fc.boolean(), fc.jsonValue()),
    safetyTolerance: fc.oneof(fc.integer({ min: -1, max: 7 }), fc.jsonValue()),
    guidance: fc.oneof(fc.double(), fc.jsonValue()),
    steps: fc.oneof(fc.integer({ min: -1, max: 200 }), fc.jsonValue()),
    outputQuality: fc.oneof(fc.integer({ min: -1, max: 101 }), fc.jsonValue()),
    __proto__x: fc.jsonValue()
  },
  { requiredKeys: [] }
)

const requestJson: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
  { weight: 3, arbitrary: fc.object({ maxDepth: 2 }).map((value) => JSON.stringify(value)) },
  { weight: 6, arbitrary: editFields.map((value) => JSON.stringify(value)) },
  { weight: 3, arbitrary: fc.record({ prompt }).map((value) => JSON.stringify(value)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"prompt":"ab"',
      '{"__proto__":{"prompt":"x"}}',
      '{"constructor":{"prototype":{}}}',
      'null',
      '',
      '\uFEFF{"prompt":"hello"}',
      '{"prompt":"a\\ud800b"}'
    )
  },
  { weight: 1, arbitrary: edgeString }
)

// ---------------------------------------------------------------------------------------------
// Multipart
// ---------------------------------------------------------------------------------------------

interface Part {
  name: string
  filename: string | undefined
  type: string | undefined
  body: Uint8Array
}

const partName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('request', 'image') },
  { weight: 1, arbitrary: fc.constantFrom('images', 'Request', 'image[]', '', 'file', 'request"; x="') },
  { weight: 1, arbitrary: edgeString }
)

const part: fc.Arbitrary<Part> = fc.oneof(
  {
    weight: 3,
    arbitrary: requestJson.map((text): Part => ({ name: 'request', filename: undefined, type: undefined, body: bytesOf(text) }))
  },
  {
    weight: 1,
    arbitrary: requestJson.map((text): Part => ({
      name: 'request',
      filename: 'request.json',
      type: 'application/json',
      body: bytesOf(text)
    }))
  },
  {
    weight: 4,
    arbitrary: fc
      .record({
        image,
        type: fc.constantFrom('image/png', 'image/jpeg', 'application/octet-stream', 'text/plain', ''),
        filename: fc.oneof(
          fc.constant('frame.png'),
          edgeString.map((text) => text.replace(/["\r\n]/g, ''))
        )
      })
      .map(({ image: picked, type, filename }): Part => ({
        name: 'image',
        filename,
        type: type === '' ? undefined : type,
        body: picked.bytes
      }))
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ name: partName, body: fc.uint8Array({ maxLength: 100 }) })
      .map(({ name, body }): Part => ({ name, filename: undefined, type: undefined, body }))
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ name: partName, image })
      .map(({ name, image: picked }): Part => ({ name, filename: 'x.png', type: 'image/png', body: picked.bytes }))
  }
)

const boundaryText = fc.oneof(fc.constant('----fuzzBoundary7MA4YWxkTrZu0gW'), fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,70}$/))

export interface Multipart {
  boundary: string
  body: Uint8Array
  kind: string
}

/** An edit that is right but for the odd field: a good prompt, known fields, real images. */
const plausibleParts: fc.Arbitrary<Part[]> = fc
  .record({
    fields: fc.record(
      {
        model: fc.constantFrom('kontext-max', 'kontext-pro', 'kontext-dev'),
        aspectRatio: fc.constantFrom('auto', '16:9', '1:1', '9:21', '3:2'),
        numImages: fc.integer({ min: 0, max: 5 }),
        seed: fc.integer({ min: -1, max: 2 ** 32 }),
        outputFormat: fc.constantFrom('png', 'jpeg', 'webp', 'gif'),
        safetyTolerance: fc.integer({ min: -1, max: 7 }),
        promptUpsampling: fc.boolean(),
        guidance: fc.double({ min: -1, max: 101, noNaN: true }),
        steps: fc.integer({ min: 0, max: 101 })
      },
      { requiredKeys: [] }
    ),
    prompt,
    images: fc.array(fc.oneof({ weight: 4, arbitrary: fc.constant({ bytes: VALID_PNG, label: 'png' }) }, { weight: 1, arbitrary: image }), {
      minLength: 1,
      maxLength: 5
    })
  })
  .map(({ fields, prompt: text, images }) => [
    { name: 'request', filename: undefined, type: undefined, body: bytesOf(JSON.stringify({ prompt: text, ...fields })) },
    ...images.map((picked, index) => ({ name: 'image', filename: `frame-${index}.png`, type: 'image/png', body: picked.bytes }))
  ])

/** A multipart body, well or badly framed. */
export const multipart: fc.Arbitrary<Multipart> = fc
  .record({
    parts: fc.oneof(fc.array(part, { maxLength: 6 }), plausibleParts),
    boundary: boundaryText,
    framing: fc.constantFrom(
      'ok',
      'ok',
      'ok',
      'ok',
      'no-closing',
      'lf-only',
      'no-part-headers',
      'truncated',
      'garbage-preamble',
      'no-name'
    ),
    cut: fc.nat()
  })
  .map(({ parts, boundary, framing, cut }) => {
    const eol = framing === 'lf-only' ? '\n' : '\r\n'
    const pieces: Array<Uint8Array | string> = framing === 'garbage-preamble' ? ['\u0000preamble\r\n'] : []
    for (const { name, filename, type, body } of parts) {
      pieces.push(`--${boundary}${eol}`)
      if (framing !== 'no-part-headers') {
        const disposition =
          framing === 'no-name' ? 'form-data' : `form-data; name="${name}"${filename === undefined ? '' : `; filename="${filename}"`}`
        pieces.push(`Content-Disposition: ${disposition}${eol}`)
        if (type !== undefined) pieces.push(`Content-Type: ${type}${eol}`)
      }
      pieces.push(eol, body, eol)
    }
    if (framing !== 'no-closing') pieces.push(`--${boundary}--${eol}`)
    let body = concat(pieces)
    if (framing === 'truncated' && body.length > 0) body = body.slice(0, cut % body.length)
    const names = parts.map((p) => p.name)
    const shape =
      names.filter((n) => n === 'request').length === 1 &&
      names.some((n) => n === 'image') &&
      names.every((n) => n === 'request' || n === 'image')
        ? 'plausible'
        : 'missing/duplicate/unknown parts'
    return { boundary, body, kind: `multipart ${framing} ${shape}` }
  })

// ---------------------------------------------------------------------------------------------
// Whole requests
// ---------------------------------------------------------------------------------------------

/** Header values a Headers object takes (latin1, no CR/LF/NUL), up to huge. */
const headerValue = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((code) => String.fromCharCode(code)), maxLength: 60 })
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ unit: fc.constantFrom('a', 'é', '\t', ' ', ';', ','), times: fc.constantFrom(1024, 9000, 20_000, 70_000) })
      .map(({ unit, times }) => `x${unit.repeat(times)}x`)
  }
)

export const authorization: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constant(`Bearer ${FUZZ_TOKEN}`) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'Bearer',
      'Bearer ',
      `bearer ${FUZZ_TOKEN}`,
      `Bearer  ${FUZZ_TOKEN}  `,
      `Bearer ${FUZZ_TOKEN} extra`,
      `Basic ${Buffer.from(`user:${FUZZ_TOKEN}`).toString('base64')}`,
      `Token ${FUZZ_TOKEN}`,
      `Bearer ${FUZZ_TOKEN.slice(0, -1)}`,
      `Bearer ${FUZZ_TOKEN}x`,
      `Bearer ${'A'.repeat(10_000)}`,
      'Bearer =====',
      `Bearer ${FUZZ_TOKEN},Bearer ${FUZZ_TOKEN}`,
      `Bearer\t${FUZZ_TOKEN}`
    )
  },
  { weight: 2, arbitrary: headerValue }
)

const contentTypeFor = (boundary: string): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constant(`multipart/form-data; boundary=${boundary}`) },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        'multipart/form-data',
        'multipart/form-data; boundary=',
        'multipart/form-data; boundary=wrongBoundary',
        `multipart/form-data; boundary="${boundary}"`,
        `MULTIPART/FORM-DATA;BOUNDARY=${boundary}`,
        `multipart/form-data; boundary=${boundary}; boundary=other`,
        `multipart/mixed; boundary=${boundary}`,
        'application/json',
        'application/x-www-form-urlencoded',
        'text/plain; charset=utf-8',
        'image/png',
        `multipart/form-data; charset=utf-16; boundary=${boundary}`
      )
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: headerValue }
  )

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND', 'BREW', 'post', 'Get']

const path: fc.Arbitrary<string> = fc.oneof(
  { weight: 24, arbitrary: fc.constant('/v1/edits') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '/v1/health',
      '/v1/models',
      '/v1/usage',
      '/v1/usage?day=2025-02-30',
      '/v1/usage?day=%00',
      '/v1/edits/',
      '/v1/edits?wait=5',
      '/v1//edits',
      '/V1/EDITS',
      '/v1/edits/..%2f..%2fhealth',
      '/v1/edits/%ZZ',
      '/%',
      '/v1/edits/x/images/99999999999999999999',
      '/v1/edits/00000000-0000-0000-0000-000000000000?wait=25',
      '/v1/edits/00000000-0000-0000-0000-000000000000?wait=-1',
      '/v1/edits/00000000-0000-0000-0000-000000000000?wait=1e400',
      '/v1/edits/00000000-0000-0000-0000-000000000000/images/-1',
      '/',
      '/favicon.ico'
    )
  },
  { weight: 2, arbitrary: fc.webPath() },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('/v1/edits/', '/v1/usage?day=', '/v1/edits/a/images/', '/v1/edits/a?wait='),
        fc.string({ unit: 'grapheme', maxLength: 30 })
      )
      .map(([prefix, tail]) => prefix + encodeURIComponent(tail).replace(/%25/g, '%'))
  }
)

const extraHeaders: fc.Arbitrary<Array<[string, string]>> = fc.array(
  fc.tuple(
    fc.oneof(
      fc.constantFrom('x-request-id', 'origin', 'content-length', 'transfer-encoding', 'accept', 'x-forwarded-for', 'cookie', 'x-fuzz'),
      fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/)
    ),
    headerValue
  ),
  { maxLength: 3 }
)

/** A request: mostly POST /v1/edits with a body, the rest anything. */
export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.oneof({ weight: 12, arbitrary: fc.constant('POST') }, { weight: 3, arbitrary: fc.constantFrom(...METHODS) }),
    path,
    authorization,
    body: fc.oneof(
      {
        weight: 8,
        arbitrary: multipart.chain((form) => contentTypeFor(form.boundary).map((type) => ({ type, bytes: form.body, kind: form.kind })))
      },
      {
        weight: 2,
        arbitrary: fc
          .record({ type: fc.constantFrom('application/json', `multipart/form-data; boundary=x`, undefined), text: requestJson })
          .map(({ type, text }) => ({ type, bytes: bytesOf(text), kind: 'json body' }))
      },
      {
        weight: 1,
        arbitrary: fc
          .record({ type: fc.oneof(fc.constant(undefined), headerValue), bytes: fc.uint8Array({ maxLength: 2000 }) })
          .map(({ type, bytes }) => ({ type, bytes: bytes, kind: 'random bytes' }))
      },
      { weight: 1, arbitrary: fc.constant({ type: undefined, bytes: undefined as Uint8Array | undefined, kind: 'no body' }) }
    ),
    extra: extraHeaders
  })
  .map(({ method, path: target, authorization: auth, body, extra }) => {
    const headers: Array<[string, string]> = []
    if (auth !== undefined) headers.push(['authorization', auth])
    if (body.type !== undefined) headers.push(['content-type', body.type])
    // content-length and transfer-encoding are the transport's business, not the fuzzer's.
    for (const [name, value] of extra)
      if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'host') headers.push([name, value])
    const canHaveBody = !['GET', 'HEAD'].includes(method.toUpperCase())
    return { method, path: target, headers, body: canHaveBody ? body.bytes : undefined, kind: canHaveBody ? body.kind : 'no body' }
  })

/** The same request in-process: a Web Request for app.request. */
export function toWebRequest(request: FuzzRequest): Request {
  const headers = new Headers()
  for (const [name, value] of request.headers) headers.append(name, value)
  return new Request(`http://relay.test${request.path.startsWith('/') ? '' : '/'}${request.path}`, {
    method: request.method,
    headers,
    ...(request.body === undefined ? {} : { body: request.body.slice() })
  })
}
