/**
 * Finding 5: "complete file" was not checked. A WebP with no image data, a WebP whose RIFF size
 * is 0, a PNG with a garbage IDAT and a 4472×4472 PNG header over a 10-byte IDAT all reached the
 * paid host. Each broken image here is made from a real encoder's output (pngjs, jpeg-js,
 * libwebp via @jsquash/webp) by cutting or corrupting bytes; every valid one must still pass.
 */
import { imageSize } from 'image-size'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { crc32, deflateSync } from 'node:zlib'
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { portableImagePlatform, type ImagePlatform } from '../../relay/images/image-platform'
import { inspectImage, inspectImageAsync } from '../../relay/images/inspect-image'
import { nodeImagePlatform } from '../../relay/images/node-image-platform'
import { MAX_REFERENCE_PIXELS } from '../../shared/limits'
import { makeJpeg, makePng, makeWebpAsync } from '../fakes/make-image'
import { editForm, itKeepsSecretsOutOfResponsesAndLogs, readErrorAsync, startRelayHarnessAsync } from './relay-harness'
import { concatBytes } from '../support/concat-bytes'

// ---------------------------------------------------------------------------------------------
// Building and cutting images
// ---------------------------------------------------------------------------------------------

const concat = (...parts: Uint8Array[]): Uint8Array => concatBytes(parts)

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text)

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const head = new Uint8Array(8)
  new DataView(head.buffer).setUint32(0, data.length)
  head.set(ascii(type), 4)
  const crc = new Uint8Array(4)
  new DataView(crc.buffer).setUint32(0, crc32(concat(ascii(type), data)))
  return concat(head, data, crc)
}

const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

function ihdr(width: number, height: number, depth: number, colourType: number, interlace = 0): Uint8Array {
  const data = new Uint8Array(13)
  new DataView(data.buffer).setUint32(0, width)
  new DataView(data.buffer).setUint32(4, height)
  data.set([depth, colourType, 0, 0, interlace], 8)
  return pngChunk('IHDR', data)
}

/** A PNG with valid CRCs everywhere, whatever its IDAT holds. */
function pngWith(header: Uint8Array, idatData: Uint8Array, before: Uint8Array[] = []): Uint8Array {
  return concat(PNG_SIGNATURE, header, ...before, pngChunk('IDAT', idatData), pngChunk('IEND', new Uint8Array(0)))
}

/** The chunks of a real PNG, to take apart and put together again. */
function chunksOfPng(png: Uint8Array): Array<{ type: string; data: Uint8Array }> {
  const chunks: Array<{ type: string; data: Uint8Array }> = []
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
  for (let offset = 8; offset < png.length;) {
    const length = view.getUint32(offset)
    chunks.push({ type: String.fromCharCode(...png.subarray(offset + 4, offset + 8)), data: png.subarray(offset + 8, offset + 8 + length) })
    offset += 12 + length
  }
  return chunks
}

/** A real PNG with its IDAT data replaced (CRCs recomputed, so only the pixel data is wrong). */
function withIdat(png: Uint8Array, idatData: Uint8Array): Uint8Array {
  const chunks = chunksOfPng(png).filter((chunk) => chunk.type !== 'IDAT' && chunk.type !== 'IEND')
  return pngWith(
    new Uint8Array(0),
    idatData,
    chunks.map((chunk) => pngChunk(chunk.type, chunk.data))
  )
}

/** Deterministic noise, so a failure reproduces. */
function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let state = seed >>> 0 || 1
  for (let i = 0; i < length; i += 1) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    out[i] = state & 0xff
  }
  return out
}

/** Scanlines of an Adam7-interlaced image, filter byte 0 each, built from the spec's pass table. */
function interlacedScanlines(width: number, height: number, bitsPerPixel: number): Uint8Array {
  const passes = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2]
  ]
  const rows: Uint8Array[] = []
  for (const [x0, y0, dx, dy] of passes) {
    const passWidth = Math.ceil((width - x0!) / dx!)
    const passHeight = Math.ceil((height - y0!) / dy!)
    if (passWidth <= 0 || passHeight <= 0) continue
    for (let y = 0; y < passHeight; y += 1) rows.push(concat(new Uint8Array([0]), noise(Math.ceil((passWidth * bitsPerPixel) / 8), y + 1)))
  }
  return concat(...rows)
}

function scanlines(width: number, height: number, bitsPerPixel: number): Uint8Array {
  const row = 1 + Math.ceil((width * bitsPerPixel) / 8)
  const out = noise(row * height, width * 31 + height)
  for (let y = 0; y < height; y += 1) out[y * row] = 0
  return out
}

let webpEncoder: Promise<typeof import('@jsquash/webp/encode.js').default> | undefined

/** libwebp with chosen options (lossless, alpha), which make-image's helper does not expose. */
async function webpAsync(width: number, height: number, options: { lossless?: boolean; alpha?: boolean }): Promise<Uint8Array> {
  webpEncoder ??= (async () => {
    const require = createRequire(import.meta.url)
    const { default: encode, init } = await import('@jsquash/webp/encode.js')
    await init(await WebAssembly.compile(await readFile(require.resolve('@jsquash/webp/codec/enc/webp_enc.wasm'))))
    return encode
  })()
  const encode = await webpEncoder
  const data = new Uint8ClampedArray(noise(width * height * 4, 5))
  for (let i = 3; i < data.length; i += 4) data[i] = options.alpha === true ? (i * 7) & 0xff : 255
  const image = { data, width, height, colorSpace: 'srgb' as const }
  return new Uint8Array(
    await encode(image satisfies Omit<ImageData, 'data'> & { data: Uint8ClampedArray }, {
      quality: 80,
      lossless: options.lossless === true ? 1 : 0
    })
  )
}

function riffChunks(webp: Uint8Array): Array<{ fourCc: string; data: Uint8Array }> {
  const chunks: Array<{ fourCc: string; data: Uint8Array }> = []
  const view = new DataView(webp.buffer, webp.byteOffset, webp.byteLength)
  for (let offset = 12; offset < webp.length;) {
    const size = view.getUint32(offset + 4, true)
    chunks.push({ fourCc: String.fromCharCode(...webp.subarray(offset, offset + 4)), data: webp.subarray(offset + 8, offset + 8 + size) })
    offset += 8 + size + (size & 1)
  }
  return chunks
}

/** A WebP file around `chunks`, with a RIFF size that matches. */
function webpOf(chunks: Array<{ fourCc: string; data: Uint8Array }>): Uint8Array {
  const body = concat(
    ...chunks.map(({ fourCc, data }) => {
      const head = concat(ascii(fourCc), new Uint8Array(4))
      new DataView(head.buffer).setUint32(4, data.length, true)
      return concat(head, data, new Uint8Array(data.length & 1))
    })
  )
  const head = concat(ascii('RIFF'), new Uint8Array(4), ascii('WEBP'))
  new DataView(head.buffer).setUint32(4, body.length + 4, true)
  return concat(head, body)
}

/** Cuts a JPEG at its first SOS marker (keeping everything before it) and appends EOI. */
function jpegWithoutScan(jpeg: Uint8Array): Uint8Array {
  const sos = jpeg.findIndex((byte, index) => byte === 0xff && jpeg[index + 1] === 0xda)
  return concat(jpeg.subarray(0, sos), new Uint8Array([0xff, 0xd9]))
}

/** Keeps the SOS header but drops its entropy-coded data: SOS header, then EOI. */
function jpegWithEmptyScan(jpeg: Uint8Array): Uint8Array {
  const sos = jpeg.findIndex((byte, index) => byte === 0xff && jpeg[index + 1] === 0xda)
  const length = (jpeg[sos + 2]! << 8) | jpeg[sos + 3]!
  return concat(jpeg.subarray(0, sos + 2 + length), new Uint8Array([0xff, 0xd9]))
}

// ---------------------------------------------------------------------------------------------
// The images
// ---------------------------------------------------------------------------------------------

const REFERENCE = makePng(96, 54, 4)
const lossyWebp = await makeWebpAsync(96, 54, 4)
const losslessWebp = await webpAsync(33, 17, { lossless: true })
const alphaWebp = await webpAsync(33, 17, { alpha: true })

const lossyChunks = riffChunks(lossyWebp)
const vp8 = lossyChunks.find((chunk) => chunk.fourCc === 'VP8 ')!
const vp8x = (flags: number, width: number, height: number): { fourCc: string; data: Uint8Array } => {
  const data = new Uint8Array(10)
  data[0] = flags
  data.set(
    [(width - 1) & 0xff, ((width - 1) >> 8) & 0xff, (width - 1) >> 16, (height - 1) & 0xff, ((height - 1) >> 8) & 0xff, (height - 1) >> 16],
    4
  )
  return { fourCc: 'VP8X', data }
}

/** The findings' images and their relatives: each must be refused before any host is paid. */
const BROKEN: Array<[string, () => Uint8Array]> = [
  ['WebP: VP8 chunk with its frame header and no image data', () => webpOf([{ fourCc: 'VP8 ', data: vp8.data.subarray(0, 10) }])],
  [
    'WebP: RIFF size 0 (truncated)',
    () => {
      const bytes = new Uint8Array(lossyWebp)
      bytes.fill(0, 4, 8)
      return bytes
    }
  ],
  ['WebP: cut in half, RIFF size left as encoded', () => lossyWebp.subarray(0, lossyWebp.length >> 1)],
  ['WebP: one byte cut off the end, RIFF size left as encoded', () => lossyWebp.subarray(0, lossyWebp.length - 1)],
  ['WebP: one byte appended, RIFF size left as encoded', () => concat(lossyWebp, new Uint8Array(1))],
  ['WebP: VP8X canvas and no image chunk', () => webpOf([vp8x(0, 96, 54)])],
  ['WebP: VP8X canvas whose size disagrees with the VP8 frame', () => webpOf([vp8x(0, 97, 54), vp8])],
  ['WebP: animation flag with no frame', () => webpOf([vp8x(0x02, 96, 54), { fourCc: 'ANIM', data: new Uint8Array(6) }])],
  ['WebP: VP8L chunk cut to its header', () => webpOf([{ fourCc: 'VP8L', data: riffChunks(losslessWebp)[0]!.data.subarray(0, 5) }])],
  ['PNG: garbage IDAT (valid CRC)', () => withIdat(REFERENCE, noise(400, 9))],
  ['PNG: 4472×4472 header over a 10-byte IDAT', () => pngWith(ihdr(4472, 4472, 8, 6), deflateSync(new Uint8Array(10)))],
  ['PNG: IDAT one scanline short', () => pngWith(ihdr(8, 8, 8, 2), deflateSync(scanlines(8, 7, 24)))],
  ['PNG: IDAT one byte too long', () => pngWith(ihdr(8, 8, 8, 2), deflateSync(concat(scanlines(8, 8, 24), new Uint8Array(1))))],
  [
    'PNG: zlib stream cut short (valid CRC)',
    () => {
      const deflated = deflateSync(scanlines(40, 40, 32))
      return pngWith(ihdr(40, 40, 8, 6), deflated.subarray(0, deflated.length - 8))
    }
  ],
  [
    'PNG: one byte of pixel data flipped (Adler-32 wrong, CRC recomputed)',
    () => {
      const deflated = new Uint8Array(deflateSync(scanlines(40, 40, 32), { level: 0 }))
      deflated[100] = deflated[100]! ^ 0x55
      return pngWith(ihdr(40, 40, 8, 6), deflated)
    }
  ],
  [
    'PNG: a chunk CRC wrong',
    () => {
      const bytes = new Uint8Array(REFERENCE)
      bytes[40] = bytes[40]! ^ 0x01
      return bytes
    }
  ],
  ['PNG: no IDAT at all', () => concat(PNG_SIGNATURE, ihdr(8, 8, 8, 2), pngChunk('IEND', new Uint8Array(0)))],
  ['PNG: palette image without PLTE', () => pngWith(ihdr(8, 8, 8, 3), deflateSync(scanlines(8, 8, 8)))],
  ['PNG: bit depth 3', () => pngWith(ihdr(8, 8, 3, 0), deflateSync(scanlines(8, 8, 3)))],
  ['PNG: bytes after IEND', () => concat(REFERENCE, new Uint8Array(4))],
  ['JPEG: frame header and no scan', () => jpegWithoutScan(makeJpeg(64, 36, 3))],
  ['JPEG: scan header with no entropy-coded data', () => jpegWithEmptyScan(makeJpeg(64, 36, 3))],
  [
    'JPEG: cut inside the scan, EOI appended',
    () => {
      const jpeg = makeJpeg(64, 36, 3)
      return concat(jpeg.subarray(0, jpeg.length >> 1), new Uint8Array([0xff, 0xd9])).subarray(0, (jpeg.length >> 1) - 1)
    }
  ],
  ['JPEG: SOI and EOI only', () => new Uint8Array([0xff, 0xd8, 0xff, 0xd9])]
]

/** Valid images the relay must keep accepting, with the size each declares. */
const VALID: Array<[string, () => Uint8Array, number, number]> = [
  ['PNG from pngjs (RGBA 8-bit), 1×1', () => makePng(1, 1), 1, 1],
  ['PNG from pngjs, 1254×836 (≈1 MP)', () => makePng(1254, 836, 2), 1254, 836],
  [
    'PNG RGB 16-bit',
    () => new Uint8Array(PNG.sync.write(Object.assign(new PNG({ width: 7, height: 5 }), {}), { colorType: 2, bitDepth: 16 })),
    7,
    5
  ],
  ['PNG grey 1-bit, odd width', () => pngWith(ihdr(13, 3, 1, 0), deflateSync(scanlines(13, 3, 1))), 13, 3],
  ['PNG grey 2-bit, odd width', () => pngWith(ihdr(7, 5, 2, 0), deflateSync(scanlines(7, 5, 2))), 7, 5],
  ['PNG palette 4-bit with PLTE', () => pngWith(ihdr(9, 4, 4, 3), deflateSync(scanlines(9, 4, 4)), [pngChunk('PLTE', noise(48, 3))]), 9, 4],
  ['PNG grey+alpha 16-bit', () => pngWith(ihdr(5, 6, 16, 4), deflateSync(scanlines(5, 6, 32))), 5, 6],
  ['PNG Adam7-interlaced RGBA 10×13', () => pngWith(ihdr(10, 13, 8, 6, 1), deflateSync(interlacedScanlines(10, 13, 32))), 10, 13],
  [
    'PNG Adam7-interlaced 1×1 (passes with no pixels have no scanlines)',
    () => pngWith(ihdr(1, 1, 8, 6, 1), deflateSync(interlacedScanlines(1, 1, 32))),
    1,
    1
  ],
  ['PNG Adam7-interlaced grey 1-bit 3×2', () => pngWith(ihdr(3, 2, 1, 0, 1), deflateSync(interlacedScanlines(3, 2, 1))), 3, 2],
  [
    'PNG with IDAT split over many chunks',
    () => {
      const deflated = deflateSync(scanlines(40, 40, 32))
      const pieces = Array.from({ length: Math.ceil(deflated.length / 100) }, (_, i) =>
        pngChunk('IDAT', deflated.subarray(i * 100, i * 100 + 100))
      )
      return concat(PNG_SIGNATURE, ihdr(40, 40, 8, 6), ...pieces, pngChunk('IEND', new Uint8Array(0)))
    },
    40,
    40
  ],
  ['JPEG from jpeg-js', () => makeJpeg(64, 36, 3), 64, 36],
  ['JPEG from jpeg-js, 1×1', () => makeJpeg(1, 1, 3), 1, 1],
  ['JPEG with zero padding after EOI', () => concat(makeJpeg(64, 36, 3), new Uint8Array(16)), 64, 36],
  ['JPEG with a trailer after EOI', () => concat(makeJpeg(64, 36, 3), ascii('trailer data')), 64, 36],
  ['WebP lossy (VP8)', () => lossyWebp, 96, 54],
  ['WebP lossy 1×1', () => lossyWebp1x1, 1, 1],
  ['WebP lossless (VP8L)', () => losslessWebp, 33, 17],
  ['WebP lossy with alpha (VP8X + ALPH + VP8)', () => alphaWebp, 33, 17]
]
const lossyWebp1x1 = await makeWebpAsync(1, 1, 2)

const PLATFORMS: Array<[string, ImagePlatform]> = [
  ['portable (Workers: DecompressionStream)', portableImagePlatform],
  ['Node (node:zlib)', nodeImagePlatform]
]

describe.each(PLATFORMS)('inspectImageAsync on the %s platform', (_name, platform) => {
  it.each(BROKEN)('refuses %s', async (_label, make) => {
    await expect(inspectImageAsync(make(), 'The image', MAX_REFERENCE_PIXELS, platform)).rejects.toMatchObject({
      code: 'invalid_image',
      message: expect.stringMatching(/^The image is not a complete (PNG|JPEG|WebP)/)
    })
  })

  it.each(VALID)('accepts %s', async (_label, make, width, height) => {
    const bytes = make()
    expect(await inspectImageAsync(bytes, 'The image', MAX_REFERENCE_PIXELS, platform)).toMatchObject({ width, height })
  })
})

describe('the test images themselves', () => {
  it('are what a real decoder says: every valid PNG decodes with pngjs, to the size declared', () => {
    for (const [label, make, width, height] of VALID.filter(([label]) => label.startsWith('PNG'))) {
      const decoded = PNG.sync.read(Buffer.from(make()))
      expect([decoded.width, decoded.height], label).toEqual([width, height])
    }
  })

  it('have the WebP layouts they are named for', () => {
    expect(riffChunks(lossyWebp).map((chunk) => chunk.fourCc)).toEqual(['VP8 '])
    expect(riffChunks(losslessWebp).map((chunk) => chunk.fourCc)).toEqual(['VP8L'])
    expect(riffChunks(alphaWebp).map((chunk) => chunk.fourCc)).toEqual(['VP8X', 'ALPH', 'VP8 '])
  })
})

describe('the synchronous inspectImage (kept for result images and the CLI)', () => {
  it('walks the structure without inflating: a garbage IDAT with valid CRCs passes it, a wrong CRC does not', () => {
    expect(inspectImage(withIdat(REFERENCE, noise(400, 9)), 'Result 1', MAX_REFERENCE_PIXELS)).toMatchObject({ contentType: 'image/png' })
    const wrongCrc = new Uint8Array(REFERENCE)
    wrongCrc[40] = wrongCrc[40]! ^ 0x01
    expect(() => inspectImage(wrongCrc, 'Result 1', MAX_REFERENCE_PIXELS)).toThrow(/not a complete PNG/)
  })
})

describe('through POST /v1/edits', () => {
  it.each(BROKEN)('refuses %s with invalid_image, and nothing reaches the host', async (_label, make) => {
    const relay = await startRelayHarnessAsync()
    const response = await relay.postEditAsync(
      editForm({ prompt: 'Make it blue' }, [{ bytes: make(), type: 'image/png', filename: 'frame.png' }])
    )
    expect(response.status).toBe(400)
    expect(await readErrorAsync(response)).toMatchObject({ code: 'invalid_image' })
    expect(relay.fake!.requests, 'nothing reaches the host').toHaveLength(0)
  })

  it('still accepts the valid images of every format', async () => {
    const relay = await startRelayHarnessAsync()
    for (const bytes of [REFERENCE, makeJpeg(64, 36, 3), lossyWebp, losslessWebp, alphaWebp]) {
      const response = await relay.postEditAsync(editForm({ prompt: 'Make it blue' }, [bytes]))
      expect(response.status, await response.clone().text()).toBe(202)
    }
  })
})

describe('the cost of the check', () => {
  it('prints the CPU time the check adds for a 1 MP reference (no timed assertion)', async () => {
    const photo = (() => {
      // Incompressible content is the worst case for CRC and inflate: 4 MB of IDAT.
      const png = new PNG({ width: 1254, height: 836 })
      png.data.set(noise(png.data.length, 11))
      return new Uint8Array(PNG.sync.write(png))
    })()
    const flat = makePng(1254, 836, 5)
    const cpuMs = async (work: () => unknown): Promise<number> => {
      const samples: number[] = []
      for (let run = 0; run < 15; run += 1) {
        const before = process.cpuUsage()
        await work()
        const used = process.cpuUsage(before)
        samples.push((used.user + used.system) / 1000)
      }
      return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!
    }
    for (const [name, bytes] of [
      ['gradient (Figma-like, flat colours)', flat],
      ['noise (worst case)', photo]
    ] as const) {
      // What the relay did before: image-size on the header, and a look at the last bytes.
      const before = await cpuMs(() => imageSize(bytes))
      const node = await cpuMs(() => inspectImageAsync(bytes, 'The image', MAX_REFERENCE_PIXELS, nodeImagePlatform))
      const portable = await cpuMs(() => inspectImageAsync(bytes, 'The image', MAX_REFERENCE_PIXELS, portableImagePlatform))
      console.log(
        `[figure] 1254×836 PNG, ${name}, ${(bytes.length / 1024).toFixed(0)} KiB: median process CPU a check — before ${before.toFixed(2)} ms; now on Node (node:zlib) ${node.toFixed(2)} ms (+${(node - before).toFixed(2)} ms); portable DecompressionStream on Node ${portable.toFixed(2)} ms`
      )
      expect(node).toBeGreaterThan(0)
    }
  })
})

itKeepsSecretsOutOfResponsesAndLogs()
