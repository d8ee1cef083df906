import { AppError } from '../../../shared/errors'
import { codeForStatus, hostError } from '../shared/host-error'

/** ComfyUI has no keys: a 401/403 comes from a proxy in front of it (or its own origin check). */
export function comfyuiError(status: number, detail: string): AppError {
  const code = codeForStatus(status)
  if (code !== 'provider_not_configured') return hostError('ComfyUI', status, code, detail)
  return new AppError(
    code,
    'The relay’s ComfyUI refused its requests. Ask whoever runs the relay to check COMFYUI_URL and any proxy in front of ComfyUI.',
    {
      detail: `ComfyUI ${status}: ${detail}`
    }
  )
}
