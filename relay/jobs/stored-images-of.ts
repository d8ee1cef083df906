import { AppError } from '../../shared/errors'
import { FIGMA_MAX_IMAGE_SIDE, MAX_RESULT_PIXELS } from '../../shared/limits'
import type { ImagePlatform } from '../images/image-platform'
import { inspectImage } from '../images/inspect-image'
import type { ProviderImage } from '../providers/provider'
import type { StoredImage } from './job-record'

/**
 * A result is re-read like any untrusted image, before it is stored: a complete PNG, JPEG or WebP
 * that Figma can place (figma.createImage refuses more than 4096 px on a side) and of at most
 * 4096×4096 pixels, checked from its header so a small file that claims a huge picture (a
 * decompression bomb) is never decoded. A broken result is the host's fault: provider_error.
 */
function inspectResult(
  bytes: Uint8Array,
  index: number,
  platform: Pick<ImagePlatform, 'crc32'> | undefined
): Omit<StoredImage, 'byteLength' | 'seed'> {
  const label = `Result ${index + 1}`
  try {
    const image = inspectImage(bytes, label, MAX_RESULT_PIXELS, platform)
    if (image.width > FIGMA_MAX_IMAGE_SIDE || image.height > FIGMA_MAX_IMAGE_SIDE) {
      throw new AppError(
        'invalid_image',
        `${label} is ${image.width}×${image.height}; Figma places at most ${FIGMA_MAX_IMAGE_SIDE} px on a side.`
      )
    }
    return image
  } catch (error) {
    throw new AppError('provider_error', undefined, { detail: `host result ${index + 1}`, cause: error })
  }
}

/** The images of a result as the store keeps them, each checked; throws provider_error for any bad one. */
export function storedImagesOf(images: readonly ProviderImage[], platform?: Pick<ImagePlatform, 'crc32'>): StoredImage[] {
  return images.map((image, index) => ({
    ...inspectResult(image.bytes, index, platform),
    byteLength: image.bytes.length,
    ...(image.seed === undefined ? {} : { seed: image.seed })
  }))
}
