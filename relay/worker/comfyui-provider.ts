import { ConfigError } from '../config-error'
import type { ProviderFactory } from '../providers/provider'

/**
 * Stands in for relay/providers/comfyui/comfyui-provider.ts in the worker bundle (scripts/build.mjs swaps it in):
 * that adapter reads a workflow file with node:fs and listens on a `ws` WebSocket, neither of which
 * a Worker has. `workerConfig` already refuses COMFYUI_URL, so this is never reached.
 */
export const createComfyuiProvider: ProviderFactory = () => {
  throw new ConfigError('ComfyUI is not available on Workers. Run the Node relay in front of ComfyUI instead.')
}
