import { PNG } from 'pngjs'
import type { RgbaImage } from '../../shared/area/rgba-image'

/** A PNG's pixels as 8-bit RGBA (pngjs expands palettes, grey and 16-bit samples). */
export function decodePngRgba(bytes: Uint8Array): RgbaImage {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  return { data: new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.byteLength), width: png.width, height: png.height }
}
