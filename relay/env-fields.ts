import * as z from 'zod'

/**
 * The field types every environment variable is read with, the relay's own and each host's
 * (relay/providers/<host>/<host>-host.ts), so a value means the same wherever it is set.
 */

/** Unset and blank are the same: the variable is not set. */
export const Optional = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()))

export const HttpUrl = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//.test(value), 'must start with http:// or https://')
  .transform((value) => value.replace(/\/+$/, ''))

export const OptionalHttpUrl = Optional.pipe(HttpUrl.optional())

export const PositiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback)

export const Flag = z
  .string()
  .trim()
  .toLowerCase()
  .default('0')
  .pipe(z.enum(['0', '1', 'true', 'false', ''], { error: 'must be 1 (on) or 0 (off)' }))
  .transform((value) => value === '1' || value === 'true')

/** A host's model id or path: one non-blank line. */
export const HostModelId = z.string().trim().min(1)
