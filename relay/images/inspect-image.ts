import { imageSize } from 'image-size'
import { AppError } from '../../shared/errors'
import type { ImageContentType } from '../../shared/relay-api'

export interface InspectedImage {
  contentType: ImageContentType
  width: number
  height: number
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const PNG_IEND = [0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]

function startsWith(bytes: Uint8Array, prefix: readonly number[], offset = 0): boolean {
  return prefix.every((byte, index) => bytes[offset + index] === byte)
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length))
}

/**
 * Magic bytes say what an image claims to be; the end markers catch uploads cut short, which the
 * header alone (all image-size reads) would let through to a paid host call.
 */
function sniffComplete(bytes: Uint8Array): ImageContentType | undefined {
  if (startsWith(bytes, PNG_SIGNATURE)) {
    return startsWith(bytes, PNG_IEND, bytes.length - PNG_IEND.length) ? 'image/png' : undefined
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    let end = bytes.length
    while (end > 2 && bytes[end - 1] === 0x00) end -= 1 // some encoders pad after EOI
    return bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9 ? 'image/jpeg' : undefined
  }
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') {
    const riffSize = (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24)) >>> 0
    return riffSize + 8 <= bytes.length ? 'image/webp' : undefined
  }
  return undefined
}

const TYPE_BY_SIZE_NAME: Record<string, ImageContentType> = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp' }

/**
 * Reads what an image really is. Throws invalid_image (with `label` in the message, e.g.
 * "Image 2") for anything that is not a complete PNG, JPEG or WebP with sane dimensions.
 */
export function inspectImage(bytes: Uint8Array, label: string, maxPixels: number): InspectedImage {
  const sniffed = sniffComplete(bytes)
  if (sniffed === undefined) {
    throw new AppError('invalid_image', `${label} is not a complete PNG, JPEG or WebP image.`)
  }
  let size: ReturnType<typeof imageSize>
  try {
    size = imageSize(bytes)
  } catch {
    throw new AppError('invalid_image', `${label} could not be read as an image.`)
  }
  const width = size.width
  const height = size.height
  if (TYPE_BY_SIZE_NAME[size.type ?? ''] !== sniffed || !(width > 0) || !(height > 0)) {
    throw new AppError('invalid_image', `${label} could not be read as an image.`)
  }
  if (width * height > maxPixels) {
    throw new AppError(
      'invalid_image',
      `${label} is ${width}×${height} pixels; the limit is ${Math.round(maxPixels / 1_000_000)} megapixels.`
    )
  }
  return { contentType: sniffed, width, height }
}
