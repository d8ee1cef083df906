import type { ModelCapabilities, OutputFormat } from '../../../shared/relay-api'
import type { EditOptions } from '../../../shared/settings'

/** The saved format when the model offers it, else the model's first. */
export function chosenFormat(options: EditOptions, capabilities: ModelCapabilities): OutputFormat {
  return capabilities.outputFormats.includes(options.outputFormat) ? options.outputFormat : capabilities.outputFormats[0]!
}
