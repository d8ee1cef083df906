import { PNG } from 'pngjs'
import type { RgbaImage } from '../../shared/area/rgba-image'

/** RGBA pixels as PNG bytes (8 bits a channel, with alpha). */
export function encodePngRgba(image: RgbaImage): Uint8Array {
  const png = new PNG({ width: image.width, height: image.height })
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength)
  return new Uint8Array(PNG.sync.write(png))
}
