import * as z from 'zod'
import { AppError } from '../../shared/errors'
import { MAX_REFERENCE_BYTES, MAX_REFERENCE_PIXELS, MAX_REFERENCES } from '../../shared/limits'
import { ModelId } from '../../shared/models'
import { EditRequest } from '../../shared/relay-api'
import { inspectImage } from '../images/inspect-image'
import type { ReferenceImage } from '../providers/provider'

const ALLOWED_PARTS = new Set(['request', 'image'])

export interface EditFormContext {
  /** Hosts this relay has enabled, to name in the answer to an unknown host. */
  availableProviders: readonly string[]
}

function describeIssues(error: z.ZodError, json: unknown, context: EditFormContext): string {
  const sent = (key: string): unknown => (json !== null && typeof json === 'object' ? Object.entries(json).find(([name]) => name === key)?.[1] : undefined)
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') return `Unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}.`
      if (issue.path[0] === 'provider' && issue.code === 'invalid_value') {
        return `Unknown host ${JSON.stringify(sent('provider'))}. Available on this relay: ${context.availableProviders.join(', ') || 'none'}.`
      }
      if (issue.path[0] === 'model' && issue.code === 'invalid_value') return `Unknown model ${JSON.stringify(sent('model'))}. Models: ${ModelId.options.join(', ')}.`
      const field = issue.path.join('.')
      if ((issue.code === 'too_small' || issue.code === 'too_big') && issue.origin === 'number') {
        return `${field}: must be ${issue.code === 'too_small' ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`}.`
      }
      return field === '' ? issue.message : `${field}: ${issue.message}`
    })
    .join(' ')
}

/**
 * Reads `POST /v1/edits`: a multipart form with one `request` part (JSON) and 1–4 `image` parts
 * (bytes). Every image is checked (magic bytes, completeness, decoded size) before any host call.
 */
export async function parseEditFormAsync(raw: Request, context: EditFormContext): Promise<{ request: EditRequest; references: ReferenceImage[] }> {
  const contentType = raw.headers.get('content-type') ?? ''
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    throw new AppError('invalid_request', 'Send multipart/form-data with a "request" part (JSON) and one or more "image" parts.')
  }
  let form: FormData
  try {
    form = await raw.formData()
  } catch {
    throw new AppError('invalid_request', 'The multipart body could not be read. Send multipart/form-data with a "request" part and "image" parts.')
  }
  for (const name of new Set(form.keys())) {
    if (!ALLOWED_PARTS.has(name)) throw new AppError('invalid_request', `Unknown part "${name}". Only "request" and "image" are allowed.`)
  }

  const requestParts = form.getAll('request')
  if (requestParts.length !== 1) throw new AppError('invalid_request', 'Send exactly one "request" part with the edit as JSON.')
  const requestPart = requestParts[0]!
  const requestText = typeof requestPart === 'string' ? requestPart : await requestPart.text()
  let json: unknown
  try {
    json = JSON.parse(requestText)
  } catch {
    throw new AppError('invalid_request', 'The "request" part is not valid JSON.')
  }
  const parsed = EditRequest.safeParse(json)
  if (!parsed.success) throw new AppError('invalid_request', describeIssues(parsed.error, json, context))

  const imageParts = form.getAll('image')
  if (imageParts.length === 0) throw new AppError('invalid_request', 'Add at least one "image" part with the reference image.')
  if (imageParts.length > MAX_REFERENCES) {
    throw new AppError('invalid_request', `Send at most ${MAX_REFERENCES} reference images; this request has ${imageParts.length}.`)
  }
  const references: ReferenceImage[] = []
  for (const [index, part] of imageParts.entries()) {
    const label = imageParts.length === 1 ? 'The image' : `Image ${index + 1}`
    if (typeof part === 'string') throw new AppError('invalid_request', `${label} must be sent as a file part, not text.`)
    if (part.size > MAX_REFERENCE_BYTES) {
      throw new AppError('payload_too_large', `${label} is ${(part.size / 1048576).toFixed(1)} MB; the limit is ${MAX_REFERENCE_BYTES / 1048576} MB.`)
    }
    const bytes = new Uint8Array(await part.arrayBuffer())
    references.push({ bytes, ...inspectImage(bytes, label, MAX_REFERENCE_PIXELS) })
  }
  return { request: parsed.data, references }
}
