import { AppError } from '../../shared/errors'
import type { ImageContentType } from '../../shared/relay-api'
import { portableImagePlatform, type ImagePlatform } from './image-platform'
import { isJpeg, readJpegSize } from './read-jpeg-size'
import { isPng, pngHeaderSize, readPngLayout, type PngLayout } from './read-png-layout'
import { isWebp, readWebpSize } from './read-webp-size'

export interface InspectedImage {
  contentType: ImageContentType
  width: number
  height: number
}

function refuseOverLimit(label: string, width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new AppError(
      'invalid_image',
      `${label} is ${width}×${height} pixels; the limit is ${Math.round(maxPixels / 1_000_000)} megapixels.`
    )
  }
}

/**
 * The structural checks (no pixel decoding), in a table by format. PNG's pixel count is checked
 * from IHDR before its chunks are walked, so a file claiming too many pixels costs nothing more.
 */
const STRUCTURE: ReadonlyArray<{
  contentType: ImageContentType
  is: (bytes: Uint8Array) => boolean
  read: (
    bytes: Uint8Array,
    label: string,
    maxPixels: number,
    crc32: ImagePlatform['crc32']
  ) => { width: number; height: number; png?: PngLayout }
}> = [
  {
    contentType: 'image/png',
    is: isPng,
    read: (bytes, label, maxPixels, crc32) => {
      const header = pngHeaderSize(bytes)
      if (header !== undefined) refuseOverLimit(label, header.width, header.height, maxPixels)
      const png = readPngLayout(bytes, label, crc32)
      return { width: png.width, height: png.height, png }
    }
  },
  { contentType: 'image/jpeg', is: isJpeg, read: (bytes, label) => readJpegSize(bytes, label) },
  { contentType: 'image/webp', is: isWebp, read: (bytes, label) => readWebpSize(bytes, label) }
]

function inspectStructure(bytes: Uint8Array, label: string, maxPixels: number, crc32: ImagePlatform['crc32']) {
  const format = STRUCTURE.find((entry) => entry.is(bytes))
  if (format === undefined) throw new AppError('invalid_image', `${label} is not a complete PNG, JPEG or WebP image.`)
  const { width, height, png } = format.read(bytes, label, maxPixels, crc32)
  refuseOverLimit(label, width, height, maxPixels)
  return { image: { contentType: format.contentType, width, height }, png }
}

/**
 * Reads what an image really is, synchronously: magic bytes, then every chunk or marker segment
 * (PNG: lengths, CRCs, IHDR first, IEND last; WebP: RIFF size, a bitstream whose header agrees
 * with the canvas; JPEG: a frame header, scans with data, EOI). Throws invalid_image (with
 * `label` in the message, e.g. "Image 2") for anything else or over `maxPixels`. It does not
 * inflate PNG pixel data: use `inspectImageAsync` before paying a host for an upload.
 */
export function inspectImage(
  bytes: Uint8Array,
  label: string,
  maxPixels: number,
  platform: Pick<ImagePlatform, 'crc32'> = portableImagePlatform
): InspectedImage {
  return inspectStructure(bytes, label, maxPixels, platform.crc32).image
}

/**
 * `inspectImage`, plus for PNG the IDAT stream inflated (streamed, counted, not kept) to check it
 * holds exactly the bytes IHDR declares: rows × (1 + bytes a row), per interlace pass. A header
 * claiming 4472×4472 over 10 bytes of data fails here, not at the host.
 */
export async function inspectImageAsync(
  bytes: Uint8Array,
  label: string,
  maxPixels: number,
  platform: ImagePlatform = portableImagePlatform
): Promise<InspectedImage> {
  const { image, png } = inspectStructure(bytes, label, maxPixels, platform.crc32)
  if (png !== undefined && !(await platform.inflatesToExactlyAsync(png.idat, png.inflatedBytes))) {
    throw new AppError(
      'invalid_image',
      `${label} is not a complete PNG image (its pixel data does not match its ${png.width}×${png.height} header).`
    )
  }
  return image
}
