import type { ProviderId } from './models'
import type { EditRequestInput, ModelCapabilities } from './relay-api'
import type { EditOptions } from './settings'

function clamp(value: number, range: { min: number; max: number }): number {
  return Math.min(range.max, Math.max(range.min, value))
}

/**
 * The request for the chosen host and model: only settings it supports, each within its range,
 * so the relay never has to refuse what the panel offered.
 */
export function toEditRequest(
  prompt: string,
  options: EditOptions,
  capabilities: ModelCapabilities,
  provider: ProviderId | undefined
): EditRequestInput {
  const request: EditRequestInput = {
    prompt,
    model: capabilities.id,
    aspectRatio: options.aspectRatio,
    numImages: Math.min(options.numImages, capabilities.maxVariants),
    outputFormat: capabilities.outputFormats.includes(options.outputFormat) ? options.outputFormat : capabilities.outputFormats[0]!
  }
  if (provider !== undefined) request.provider = provider
  if (options.seed !== null) request.seed = Math.min(options.seed, capabilities.seedMax)
  if (capabilities.safetyTolerance !== null) request.safetyTolerance = clamp(options.safetyTolerance, capabilities.safetyTolerance)
  if (capabilities.promptUpsampling && options.promptUpsampling) request.promptUpsampling = true
  if (capabilities.guidance !== null && options.guidance !== null) request.guidance = clamp(options.guidance, capabilities.guidance)
  if (capabilities.steps !== null && options.steps !== null) request.steps = Math.round(clamp(options.steps, capabilities.steps))
  if (capabilities.outputQuality !== null && options.outputQuality !== null && request.outputFormat !== 'png') {
    request.outputQuality = Math.round(clamp(options.outputQuality, capabilities.outputQuality))
  }
  return request
}
