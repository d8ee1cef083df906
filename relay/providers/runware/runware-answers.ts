import * as z from 'zod'

/**
 * What Runware answers, as the adapter reads it (docs/hosts.md, "Runware"; runware.ai/docs
 * platform/errors and platform/task-polling): `{"data":[…]}` with one item per result, or
 * `{"errors":[…]}`. Fields the adapter can do without are `.catch`-ed so one odd value does not
 * cost a paid result.
 */

export const RunwareErrorItem = z.object({
  code: z.string().catch('unknown'),
  message: z.string().optional().catch(undefined),
  parameter: z.unknown().optional()
})
export type RunwareErrorItem = z.infer<typeof RunwareErrorItem>

export const RunwareItem = z.object({
  taskUUID: z.string(),
  status: z.enum(['processing', 'success', 'error']).optional(),
  imageBase64Data: z.string().optional(),
  imageDataURI: z.string().optional(),
  imageURL: z.string().optional(),
  mediaURL: z.string().optional(),
  seed: z.number().int().nonnegative().optional().catch(undefined),
  cost: z.number().nonnegative().optional().catch(undefined),
  NSFWContent: z.boolean().optional(),
  error: RunwareErrorItem.optional()
})
export type RunwareItem = z.infer<typeof RunwareItem>

export const RunwareEnvelope = z.object({
  data: z.array(RunwareItem).optional(),
  errors: z.array(RunwareErrorItem).optional()
})
export type RunwareEnvelope = z.infer<typeof RunwareEnvelope>
