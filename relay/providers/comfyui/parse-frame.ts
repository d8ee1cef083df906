import * as z from 'zod'
import type { ComfyEvent } from './progress-socket'

/** ComfyUI's websocket text frames (server.py `send_sync`, main.py, execution.py), as the relay reads them for progress. */

const Frame = z.object({ type: z.string(), data: z.record(z.string(), z.unknown()) })
const PromptId = z.string().min(1)
const Progress = z
  .object({ value: z.number().min(0), max: z.number().positive(), prompt_id: PromptId })
  .refine((progress) => progress.value <= progress.max, 'value is above max')
const Executing = z.object({ node: z.union([z.string(), z.number()]).nullable(), prompt_id: PromptId })
const PromptEvent = z.object({ prompt_id: PromptId })
/** Kinds the relay has no use for (`status`, `executed`, `execution_cached`, `progress_state`, …) are skipped. */
const ENDED = new Set(['execution_success', 'execution_error', 'execution_interrupted'])

export type ParsedFrame = { kind: 'event'; event: ComfyEvent } | { kind: 'skipped' } | { kind: 'unusable'; reason: string }

/** Never throws; `unusable` for text that is not a frame as ComfyUI's server.py sends it. */
export function parseFrame(text: string): ParsedFrame {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { kind: 'unusable', reason: 'not JSON' }
  }
  const frame = Frame.safeParse(json)
  if (!frame.success) return { kind: 'unusable', reason: 'not {type, data}' }
  const { type, data } = frame.data
  const unusable = (error: z.ZodError): ParsedFrame => ({
    kind: 'unusable',
    reason: `${type}: ${error.issues[0]?.path.join('.') ?? ''} ${error.issues[0]?.message ?? ''}`.trim()
  })
  if (type === 'progress') {
    const progress = Progress.safeParse(data)
    if (!progress.success) return unusable(progress.error)
    return {
      kind: 'event',
      event: { kind: 'progress', promptId: progress.data.prompt_id, value: progress.data.value, max: progress.data.max }
    }
  }
  if (type === 'executing') {
    // On a reconnect ComfyUI repeats the running node without a prompt_id: nothing to attribute it to.
    if (data.prompt_id === undefined) return { kind: 'skipped' }
    const executing = Executing.safeParse(data)
    if (!executing.success) return unusable(executing.error)
    return { kind: 'event', event: { kind: executing.data.node === null ? 'ended' : 'started', promptId: executing.data.prompt_id } }
  }
  if (type === 'execution_start' || ENDED.has(type)) {
    const event = PromptEvent.safeParse(data)
    if (!event.success) return unusable(event.error)
    return { kind: 'event', event: { kind: type === 'execution_start' ? 'started' : 'ended', promptId: event.data.prompt_id } }
  }
  return { kind: 'skipped' }
}
