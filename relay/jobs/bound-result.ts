import { AppError } from '../../shared/errors'
import { FIGMA_MAX_IMAGE_SIDE, MAX_RESULT_PIXELS } from '../../shared/limits'
import { estimateCostUsd } from '../../shared/models'
import { inspectImage } from '../images/inspect-image'
import type { ProviderImage } from '../providers/provider'
import type { StoredImage } from './job-record'

/** A reported cost above this many times the catalogue price of the edit is not believed. */
const MAX_COST_FACTOR = 10

export interface ResultCost {
  costUsd: number
  /** True when `costUsd` is the catalogue price, not the host's figure. */
  costEstimated: boolean
  /** Whether the host reported a cost at all (even one not believed): it billed the run. */
  hostBilled: boolean
}

type Log = (event: string, fields: Record<string, unknown>) => void

/**
 * At most as many images as were asked for: a host that answers more (a bug, or a batch meant for
 * someone else) must not fill the store. The extra ones are dropped and logged.
 */
export function keepAsked(images: readonly ProviderImage[], asked: number, log: Log): ProviderImage[] {
  if (images.length > asked) log('job.host_anomaly', { kind: 'extra_images', asked, received: images.length })
  return images.slice(0, asked)
}

/**
 * What the run costs the ledger: the host's figure when it reports one within [0, 10 × the
 * catalogue price of the edit], else the catalogue price of the images kept (logged as an anomaly
 * when the host's figure was out of range: a broken host must not empty or overfill a budget).
 */
export function boundCost(reported: number | undefined, priceUsd: number, asked: number, kept: number, log: Log): ResultCost {
  const catalogue = { costUsd: estimateCostUsd(priceUsd, kept), costEstimated: true, hostBilled: reported !== undefined }
  if (reported === undefined) return catalogue
  const ceiling = MAX_COST_FACTOR * estimateCostUsd(priceUsd, asked)
  if (!Number.isFinite(reported) || reported < 0 || reported > ceiling) {
    log('job.host_anomaly', { kind: 'cost_out_of_range', reportedUsd: reported, ceilingUsd: ceiling, settledUsd: catalogue.costUsd })
    return catalogue
  }
  return { costUsd: reported, costEstimated: false, hostBilled: true }
}

/**
 * A result is re-read like any untrusted image, before it is stored: a complete PNG, JPEG or WebP
 * that Figma can place (figma.createImage refuses more than 4096 px on a side) and of at most
 * 4096×4096 pixels, checked from its header so a small file that claims a huge picture (a
 * decompression bomb) is never decoded. A broken result is the host's fault: provider_error.
 */
export function inspectResult(bytes: Uint8Array, index: number): Omit<StoredImage, 'byteLength' | 'seed'> {
  const label = `Result ${index + 1}`
  try {
    const image = inspectImage(bytes, label, MAX_RESULT_PIXELS)
    if (image.width > FIGMA_MAX_IMAGE_SIDE || image.height > FIGMA_MAX_IMAGE_SIDE) {
      throw new AppError('invalid_image', `${label} is ${image.width}×${image.height}; Figma places at most ${FIGMA_MAX_IMAGE_SIDE} px on a side.`)
    }
    return image
  } catch (error) {
    throw new AppError('provider_error', undefined, { detail: `host result ${index + 1}`, cause: error })
  }
}

/** The images of a result as the store keeps them, each checked; throws provider_error for any bad one. */
export function storedImagesOf(images: readonly ProviderImage[]): StoredImage[] {
  return images.map((image, index) => ({ ...inspectResult(image.bytes, index), byteLength: image.bytes.length, ...(image.seed === undefined ? {} : { seed: image.seed }) }))
}
