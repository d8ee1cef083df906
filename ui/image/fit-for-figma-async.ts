import { FIGMA_MAX_IMAGE_SIDE } from '../../shared/limits'
import type { ImageContentType } from '../../shared/relay-api'

export interface SizedImage {
  bytes: Uint8Array
  contentType: ImageContentType
  width: number
  height: number
}

/** Re-encodes an image at a new size as PNG; the browser does it with a canvas. */
export type ImageResizer = (image: SizedImage, width: number, height: number) => Promise<SizedImage>

/**
 * figma.createImage takes PNG, JPEG or GIF up to 4096 px a side. Anything larger, or WebP, is
 * re-encoded here in the UI (the sandbox has no canvas).
 */
export async function fitForFigmaAsync(image: SizedImage, resizeAsync: ImageResizer): Promise<SizedImage> {
  const scale = Math.min(1, FIGMA_MAX_IMAGE_SIDE / Math.max(image.width, image.height))
  if (scale === 1 && image.contentType !== 'image/webp') return image
  return resizeAsync(image, Math.max(1, Math.floor(image.width * scale)), Math.max(1, Math.floor(image.height * scale)))
}
