import * as z from 'zod/mini'

/**
 * The closed set of error codes. The relay answers with the first group; the plugin and UI add the
 * second for failures that happen on the designer's machine. Every code has one plain-language
 * message, written for a designer, saying what happened and what to do next.
 */
export const RelayErrorCode = z.enum([
  'unauthorized',
  'invalid_request',
  'invalid_image',
  'payload_too_large',
  'not_found',
  'provider_not_configured',
  'insufficient_credit',
  'rate_limited',
  'moderated',
  'provider_unavailable',
  'provider_error',
  'timeout',
  'canceled',
  'internal',
  'budget_exceeded',
  'interrupted',
  'relay_busy'
])
export type RelayErrorCode = z.infer<typeof RelayErrorCode>

export const ClientErrorCode = z.enum([
  'relay_unreachable',
  'relay_incompatible',
  'nothing_selected',
  'export_failed',
  'place_failed',
  'source_missing'
])
export type ClientErrorCode = z.infer<typeof ClientErrorCode>

export const ErrorCode = z.enum([...RelayErrorCode.options, ...ClientErrorCode.options])
export type ErrorCode = z.infer<typeof ErrorCode>

export const ErrorInfo = z.object({ code: ErrorCode, message: z.string() })
export type ErrorInfo = z.infer<typeof ErrorInfo>

export const ERROR_MESSAGES: Record<ErrorCode, string> = {
  unauthorized: 'The relay did not accept your access token. Open Settings and paste the token the relay printed when it started.',
  invalid_request: 'The relay could not use this request.',
  invalid_image: 'The reference image could not be read. Select a frame with visible content and try again.',
  payload_too_large: 'The reference is too large to send. Select a smaller frame or fewer frames.',
  not_found: 'The relay no longer has this edit. Results are kept for a limited time; run the edit again.',
  provider_not_configured:
    'The relay has no API key for this image host. Ask whoever runs the relay to set it (see the relay’s startup message).',
  insufficient_credit: 'The image host account is out of credit. Ask whoever runs the relay to top it up, then try again.',
  rate_limited: 'Too many edits at once. Wait a moment and try again.',
  moderated: 'The image host refused this edit under its content policy. Change the instruction or the frame and try again.',
  provider_unavailable: 'The image host is not answering right now. Try again in a minute.',
  provider_error: 'The image host returned something unexpected. Try again; if it keeps happening, tell whoever runs the relay.',
  timeout: 'The edit took too long and was stopped. Try again, or try with fewer variants.',
  canceled: 'The edit was canceled.',
  internal: 'The relay hit an unexpected problem. Try again; if it keeps happening, tell whoever runs the relay.',
  budget_exceeded:
    'Your daily budget on this relay is used up. It starts again at midnight UTC, or ask whoever runs the relay to raise it.',
  interrupted: 'The relay restarted before this edit finished, so its result was lost. Run the edit again.',
  relay_busy: 'The relay is busy with other edits right now. Try again in a few seconds.',
  relay_unreachable: 'Cannot reach the relay. Check the relay URL in Settings and that the relay is running.',
  relay_incompatible: 'The relay answered in a way this plugin does not understand. Check the relay URL in Settings, or update the relay.',
  nothing_selected: 'Select a frame, group or image on the canvas first.',
  export_failed: 'Figma could not export the selection as an image.',
  place_failed: 'The result could not be placed on the canvas. Your image is kept: try placing it again.',
  source_missing: 'The original layer was deleted, so the result was placed in the middle of your view.'
}

export interface AppErrorOptions {
  /** Detail for logs (never for clients when it may carry a host's text). */
  detail?: string
  retryAfterSeconds?: number
  /**
   * The error this one wraps (the standard ES2022 `Error` cause), kept whole for the log instead of
   * flattened into `detail`. Never answered to a client; see `describeError`.
   */
  cause?: unknown
}

/** An error thrown deep in any runtime and translated once at the edge. */
export class AppError extends Error {
  readonly code: ErrorCode
  /** Detail for logs (never for clients when it may carry a host's text). */
  readonly detail: string | undefined
  readonly retryAfterSeconds: number | undefined

  constructor(code: ErrorCode, message?: string, options: AppErrorOptions = {}) {
    super(message ?? ERROR_MESSAGES[code], options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.detail = options.detail
    this.retryAfterSeconds = options.retryAfterSeconds
  }

  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message }
  }
}

export const RelayErrorInfo = z.object({ code: RelayErrorCode, message: z.string() })
export type RelayErrorInfo = z.infer<typeof RelayErrorInfo>
