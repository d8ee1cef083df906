/*
 * Multipart is parsed with @remix-run/multipart-parser (MIT, by the Remix team; successor of
 * @mjackson/multipart-parser): it reads a Web ReadableStream, so the same code runs on Node and
 * on Workers; it has no runtime dependency beyond its sibling @remix-run/headers, no install
 * scripts and no engines restriction; and it enforces, as bytes arrive, a maximum number of
 * parts, a maximum header size per part, a maximum size per part and in total (see its
 * src/lib/multipart.ts). `Request.formData()` has none of these: 811,006 empty parts held
 * Node's event loop for 3.3 s before any check here could run.
 */
import {
  MaxFileSizeExceededError,
  MaxHeaderSizeExceededError,
  MaxPartsExceededError,
  MaxTotalSizeExceededError,
  MultipartParseError,
  parseMultipartStream,
  type MultipartPart
} from '@remix-run/multipart-parser'
import * as z from 'zod'
import { AppError } from '../../shared/errors'
import { MAX_REFERENCE_BYTES, MAX_REFERENCE_PIXELS, MAX_REFERENCES } from '../../shared/limits'
import { ModelId } from '../../shared/models'
import { EditRequest } from '../../shared/relay-api'
import type { ImagePlatform } from '../images/image-platform'
import { inspectImageAsync } from '../images/inspect-image'
import type { ReferenceImage } from '../providers/provider'
import { listSome, safeExcerpt } from './safe-excerpt'

/** The edit as JSON: a 3,000-character prompt, \u-escaped, and every option fit many times over. */
export const MAX_REQUEST_PART_BYTES = 64 * 1024
/** Headers of one part: Content-Disposition with a file name (Figma layer names can be long) and Content-Type. */
export const MAX_PART_HEADER_BYTES = 4 * 1024
/** One request part and MAX_REFERENCES images, and a few more so the answer can count the images sent (each extra one is dropped as it ends). */
const MAX_PARTS = MAX_REFERENCES + 5
/**
 * After a refusal, how much more of the body is read (and dropped, unparsed) so that a normal
 * client, still uploading its images, gets the answer instead of a connection reset (workerd was
 * seen closing a connection whose request body was left unread: the client's fetch failed with
 * EPIPE). Past this, the read is canceled: a hostile body costs at most this much more I/O.
 */
const DISCARD_MAX_BYTES = 8 * 1024 * 1024
/** Everything the parts may add up to; a body that declares more is parsed from its chunks as they come. */
const MAX_TOTAL_BYTES = MAX_REFERENCES * MAX_REFERENCE_BYTES + MAX_REQUEST_PART_BYTES
/** Boundaries and part headers on top of the parts. */
const MAX_FRAMING_BYTES = MAX_PARTS * (MAX_PART_HEADER_BYTES + 128)
/** Issues listed in one answer; the rest are counted. */
const MAX_ISSUES = 3
/**
 * zod's English messages for the issues the answer quotes (`prompt: Invalid input: expected
 * string, …`). EditRequest is a zod/mini schema (shared with the panel, which leaves the locale
 * out), so its issues carry English only when the parse asks for it; this does not rest on some
 * other module having built a classic schema first.
 */
const ENGLISH = z.locales.en().localeError

const USAGE = 'Send multipart/form-data with a "request" part (JSON) and one or more "image" parts.'

export interface EditFormContext {
  /** Hosts this relay has enabled, to name in the answer to an unknown host. */
  availableProviders: readonly string[]
  /** crc32 and inflate for the image check (default: the portable Web-API ones). */
  images?: ImagePlatform
}

function quoteSent(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(safeExcerpt(value)) : `of type ${value === null ? 'null' : typeof value}`
}

function describeIssues(error: z.core.$ZodError, json: unknown, context: EditFormContext): string {
  const sent = (key: string): unknown =>
    // Stryker disable next-line ConditionalExpression: only asked for provider or model when zod found one there, so json is an object that has it
    json !== null && typeof json === 'object' && Object.hasOwn(json, key) ? (json as Record<string, unknown>)[key] : undefined
  const lines = error.issues.slice(0, MAX_ISSUES).map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `Unknown field${issue.keys.length > 1 ? 's' : ''}: ${listSome(issue.keys.map((key) => safeExcerpt(key)))}.`
    }
    // Stryker disable next-line ConditionalExpression: provider and model are enums, so every issue at them is invalid_value
    if (issue.path[0] === 'provider' && issue.code === 'invalid_value') {
      return `Unknown host ${quoteSent(sent('provider'))}. Available on this relay: ${context.availableProviders.join(', ') || 'none'}.`
    }
    // Stryker disable next-line ConditionalExpression: as for provider
    if (issue.path[0] === 'model' && issue.code === 'invalid_value')
      return `Unknown model ${quoteSent(sent('model'))}. Models: ${ModelId.options.join(', ')}.`
    // Stryker disable next-line StringLiteral: EditRequest is flat, so a path has at most one segment to join
    const field = issue.path.map((segment) => safeExcerpt(String(segment))).join('.')
    if ((issue.code === 'too_small' || issue.code === 'too_big') && issue.origin === 'number') {
      return `${field}: must be ${issue.code === 'too_small' ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`}.`
    }
    return field === '' ? issue.message : `${field}: ${issue.message}`
  })
  const more = error.issues.length - MAX_ISSUES
  return more > 0 ? `${lines.join(' ')} And ${more} more problem${more > 1 ? 's' : ''}.` : lines.join(' ')
}

function parseRequestPart(part: MultipartPart, context: EditFormContext): EditRequest {
  if (part.size > MAX_REQUEST_PART_BYTES) {
    throw new AppError(
      'invalid_request',
      `The "request" part is ${Math.ceil(part.size / 1024)} KB; the limit is ${MAX_REQUEST_PART_BYTES / 1024} KB.`
    )
  }
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder().decode(part.bytes))
  } catch {
    throw new AppError('invalid_request', 'The "request" part is not valid JSON.')
  }
  const parsed = EditRequest.safeParse(json, { error: ENGLISH })
  if (!parsed.success) throw new AppError('invalid_request', describeIssues(parsed.error, json, context))
  return parsed.data
}

/** The parser's limit errors, by class, as the answer the designer reads. */
const LIMIT_ERRORS: ReadonlyArray<[new (...args: never[]) => Error, () => AppError]> = [
  [
    MaxHeaderSizeExceededError,
    () => new AppError('invalid_request', `A part's headers are longer than ${MAX_PART_HEADER_BYTES / 1024} KB. ${USAGE}`)
  ],
  [
    MaxFileSizeExceededError,
    () => new AppError('payload_too_large', `A part is larger than ${MAX_REFERENCE_BYTES / 1048576} MB, the limit for an image.`)
  ],
  [MaxTotalSizeExceededError, () => new AppError('payload_too_large', `The parts add up to more than this relay accepts.`)]
]

async function discardRestAsync(body: ReadableStream<Uint8Array>): Promise<void> {
  try {
    const reader = body.getReader()
    for (let read = 0; read <= DISCARD_MAX_BYTES;) {
      const { done, value } = await reader.read()
      if (done) return
      read += value.byteLength
    }
    await reader.cancel()
  } catch {
    // A body that failed or was already canceled: nothing left to read.
  }
}

/**
 * Copies the body, as it arrives, into one buffer of its declared length and hands the parser
 * views of it: an image part is then one view of that buffer (see partBytes), where the socket's
 * 64 KiB chunks would be held until the part ends and then joined into a copy (2× the upload at
 * once, test/campaign/inflight-memory.test.ts). A body longer than it declared goes on as its
 * own chunks; one shorter leaves the buffer's tail unwritten (and, zeroed, mostly not resident).
 */
function intoOneBuffer(body: ReadableStream<Uint8Array>, declaredLength: number): ReadableStream<Uint8Array> {
  // Stryker disable next-line EqualityOperator: a buffer of length 0 passes every chunk on as it came, as the body itself does
  if (!(declaredLength > 0)) return body
  if (declaredLength > MAX_TOTAL_BYTES + MAX_FRAMING_BYTES) return body
  let buffer: Uint8Array | undefined = new Uint8Array(declaredLength)
  let at = 0
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (buffer === undefined || at + chunk.byteLength > buffer.byteLength) {
          buffer = undefined
          controller.enqueue(chunk)
          return
        }
        buffer.set(chunk, at)
        controller.enqueue(buffer.subarray(at, at + chunk.byteLength))
        at += chunk.byteLength
      }
    })
  )
}

/** A part's content as one Uint8Array: a view when its chunks lie end to end in one buffer (intoOneBuffer), else one copy. */
function partBytes(part: MultipartPart): Uint8Array {
  const [first] = part.content
  if (first === undefined) return new Uint8Array(0)
  let end = first.byteOffset
  for (const chunk of part.content) {
    if (chunk.buffer !== first.buffer || chunk.byteOffset !== end) return part.bytes
    end += chunk.byteLength
  }
  return new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset)
}

/**
 * Bytes after the close delimiter are an epilogue, to be ignored (RFC 2046 §5.1.1); browsers send
 * a CRLF there. The parser ignores an epilogue that arrives in the same chunk as the delimiter but
 * throws this on one in a later chunk, so whether a valid upload was refused would depend on where
 * the network cut it. Every part was already yielded by then.
 */
function isEpilogue(error: unknown): boolean {
  return error instanceof MultipartParseError && error.message === 'Unexpected data after end of stream'
}

function tooManyImages(count: string): AppError {
  return new AppError('invalid_request', `Send at most ${MAX_REFERENCES} reference images; this request has ${count}.`)
}

function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error
  for (const [type, make] of LIMIT_ERRORS) if (error instanceof type) return make()
  // MultipartParseError (no opening boundary, unterminated body), headers that are not UTF-8, a stream that failed.
  return new AppError('invalid_request', `The multipart body could not be read. ${USAGE}`)
}

/**
 * Reads `POST /v1/edits`: a multipart form with one `request` part (JSON) and 1–4 `image` parts
 * (bytes), as a stream with limits enforced while it arrives; a part with a name it does not
 * take stops the read at once. Every image is then checked (magic bytes, complete file, pixel
 * data, decoded size) before any host call.
 */
export async function parseEditFormAsync(
  raw: Request,
  context: EditFormContext
): Promise<{ request: EditRequest; references: ReferenceImage[] }> {
  const contentType = raw.headers.get('content-type')
  // RFC 2046 §5.1.1: a boundary is 1–70 characters.
  const boundary =
    contentType === null ? null : /^multipart\/form-data\s*;.*?\bboundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))\s*(?:;|$)/i.exec(contentType)
  if (boundary === null) throw new AppError('invalid_request', USAGE)
  if (raw.body === null) throw new AppError('invalid_request', `The request has no body. ${USAGE}`)

  // No Content-Length reads as Number(null), 0.
  const body = intoOneBuffer(raw.body, Number(raw.headers.get('content-length')))
  let request: EditRequest | undefined
  const images: Uint8Array[] = []
  let imageParts = 0
  try {
    const parts = parseMultipartStream(body, {
      boundary: boundary[1] ?? boundary[2]!,
      maxHeaderSize: MAX_PART_HEADER_BYTES,
      maxFileSize: MAX_REFERENCE_BYTES,
      maxParts: MAX_PARTS,
      maxTotalSize: MAX_REFERENCES * MAX_REFERENCE_BYTES + MAX_REQUEST_PART_BYTES
    })
    for await (const part of parts) {
      const name = part.name
      if (name === 'request') {
        if (request !== undefined) throw new AppError('invalid_request', 'Send exactly one "request" part with the edit as JSON.')
        request = parseRequestPart(part, context)
      } else if (name === 'image') {
        imageParts += 1
        if (part.filename === undefined)
          throw new AppError(
            'invalid_request',
            `${imageParts === 1 ? 'The image' : `Image ${imageParts}`} must be sent as a file part, not text.`
          )
        // Joined into one buffer as the part ends, so the stream's chunks are garbage at once.
        // Stryker disable next-line ConditionalExpression,EqualityOperator: a form with more images is refused after the read; this only holds no more than it can use
        if (images.length < MAX_REFERENCES) images.push(partBytes(part))
      } else {
        throw new AppError(
          'invalid_request',
          `Unknown part ${name === undefined ? 'without a name' : JSON.stringify(safeExcerpt(name))}. Only "request" and "image" are allowed.`
        )
      }
    }
  } catch (error) {
    await discardRestAsync(body)
    if (!isEpilogue(error)) {
      // The parser hands over each part before it reads the next, and any part but one request and
      // the images stops the read: past MAX_PARTS, all but one of them were images.
      if (error instanceof MaxPartsExceededError) throw tooManyImages(`more than ${imageParts}`)
      throw toAppError(error)
    }
  }
  if (imageParts > MAX_REFERENCES) throw tooManyImages(String(imageParts))

  if (request === undefined) throw new AppError('invalid_request', 'Send exactly one "request" part with the edit as JSON.')
  if (images.length === 0) throw new AppError('invalid_request', 'Add at least one "image" part with the reference image.')
  const references: ReferenceImage[] = []
  for (const [index, bytes] of images.entries()) {
    const label = images.length === 1 ? 'The image' : `Image ${index + 1}`
    references.push({ bytes, ...(await inspectImageAsync(bytes, label, MAX_REFERENCE_PIXELS, context.images)) })
  }
  return { request, references }
}
