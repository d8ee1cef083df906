import { describeHostBody } from '../shared/host-error'
import { PromptRefusal } from './comfyui-answers'

/** ComfyUI's 400 on /prompt (execution.py `validate_prompt`) as one line for the operator's log. */
export function describeRefusal(body: unknown, text: string): string {
  const refusal = PromptRefusal.safeParse(body)
  if (!refusal.success) return describeHostBody(body, text)
  const { error, node_errors: nodeErrors } = refusal.data
  const head =
    typeof error === 'string'
      ? error
      : `${error.type ?? 'error'}: ${error.message ?? ''}${typeof error.details === 'string' && error.details !== '' ? ` (${error.details})` : ''}`
  const nodes = Object.entries(nodeErrors ?? {}).map(([id, value]) => {
    const errors = (value as { errors?: Array<{ type?: string; details?: string }> }).errors ?? []
    return `node ${id}: ${errors.map((item) => `${item.type ?? '?'} ${item.details ?? ''}`.trim()).join(', ')}`
  })
  return [head, ...nodes].join('; ').slice(0, 600)
}
