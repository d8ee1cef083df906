import type { RgbaImage } from '../../shared/area/rgba-image'

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

async function inflateAsync(parts: Uint8Array[]): Promise<Uint8Array> {
  const stream = new Blob(parts.map((part) => part.slice())).stream().pipeThrough(new DecompressionStream('deflate'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

function paeth(left: number, up: number, upLeft: number): number {
  const p = left + up - upLeft
  const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)]
  return pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft
}

/** Undoes each row's filter in place (PNG spec, 9: filter types 0–4), `bpp` bytes a pixel. */
function unfilter(data: Uint8Array, width: number, height: number, bpp: number): Uint8Array | undefined {
  const stride = width * bpp
  const rows = new Uint8Array(height * stride)
  for (let y = 0; y < height; y += 1) {
    const type = data[y * (stride + 1)]
    const source = y * (stride + 1) + 1
    const row = y * stride
    for (let i = 0; i < stride; i += 1) {
      const left = i >= bpp ? rows[row + i - bpp]! : 0
      const up = y > 0 ? rows[row - stride + i]! : 0
      const upLeft = y > 0 && i >= bpp ? rows[row - stride + i - bpp]! : 0
      const predictor =
        type === 0 ? 0 : type === 1 ? left : type === 2 ? up : type === 3 ? (left + up) >> 1 : type === 4 ? paeth(left, up, upLeft) : -1
      if (predictor < 0) return undefined
      rows[row + i] = data[source + i]! + predictor
    }
  }
  return rows
}

/**
 * The exact pixels of an 8-bit RGB or RGBA, non-interlaced PNG (what Figma's exports are), with
 * the browser's own inflate. A canvas cannot give them for a frame with transparency: it keeps
 * pixels premultiplied, which rounds every semi-transparent one. undefined for any other PNG.
 */
export async function decodePngRgbaAsync(bytes: Uint8Array): Promise<RgbaImage | undefined> {
  if (bytes.length < 33 || !SIGNATURE.every((byte, index) => bytes[index] === byte)) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const [width, height, depth, colorType, interlace] = [view.getUint32(16), view.getUint32(20), bytes[24], bytes[25], bytes[28]]
  const bpp = colorType === 6 ? 4 : colorType === 2 ? 3 : 0
  if (depth !== 8 || bpp === 0 || interlace !== 0) return undefined
  const idat: Uint8Array[] = []
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = view.getUint32(at)
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8))
    if (type === 'IDAT') idat.push(bytes.subarray(at + 8, at + 8 + length))
    if (type === 'IEND') break
    at += 12 + length
  }
  const rows = unfilter(await inflateAsync(idat), width, height, bpp)
  if (rows === undefined) return undefined
  if (bpp === 4) return { data: new Uint8ClampedArray(rows.buffer), width, height }
  const data = new Uint8ClampedArray(width * height * 4)
  for (let i = 0, j = 0; i < rows.length; i += 3, j += 4) {
    data[j] = rows[i]!
    data[j + 1] = rows[i + 1]!
    data[j + 2] = rows[i + 2]!
    data[j + 3] = 255
  }
  return { data, width, height }
}
