import * as z from 'zod'

/** ComfyUI's answers as the relay reads them (docs/hosts.md, "ComfyUI"; ComfyUI server.py, execution.py). */

export const UploadAnswer = z.object({ name: z.string().min(1), subfolder: z.string().default(''), type: z.string().default('input') })

export const PromptAnswer = z.object({
  prompt_id: z.string().min(1),
  number: z.number().optional(),
  node_errors: z.record(z.string(), z.unknown()).optional()
})

export const PromptRefusal = z.object({
  error: z.union([
    z.object({
      type: z.string().optional(),
      message: z.string().optional(),
      details: z.unknown().optional(),
      extra_info: z.unknown().optional()
    }),
    z.string()
  ]),
  node_errors: z.record(z.string(), z.unknown()).optional()
})

/** Queue items are `[number, prompt_id, prompt, extra_data, outputs_to_execute]`. */
const QueueItem = z.array(z.unknown()).transform((item) => (typeof item[1] === 'string' ? item[1] : undefined))
export const QueueAnswer = z.object({ queue_running: z.array(QueueItem), queue_pending: z.array(QueueItem) })

const OutputImage = z.object({ filename: z.string().min(1), subfolder: z.string().default(''), type: z.string().default('output') })
/**
 * execution.py `task_done` stores `status: null` when it is called without a status (ComfyUI's own
 * prompt_worker always passes one; other callers of the queue need not): the entry still holds the
 * prompt's outputs, so the image decides, as for an entry with no status at all.
 */
export const HistoryEntry = z.object({
  outputs: z.record(z.string(), z.object({ images: z.array(OutputImage).optional() }).loose()).default({}),
  status: z
    .object({
      status_str: z.string().optional(),
      completed: z.boolean().optional(),
      messages: z.array(z.tuple([z.string(), z.unknown()]).rest(z.unknown())).default([])
    })
    .nullish()
})
export type HistoryEntry = z.infer<typeof HistoryEntry>

export const ExecutionError = z.object({
  node_id: z.union([z.string(), z.number()]).optional().catch(undefined),
  node_type: z.string().optional(),
  exception_type: z.string().optional(),
  exception_message: z.string().optional()
})
