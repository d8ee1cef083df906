import * as z from 'zod'
import { ProviderId } from '../shared/models'

const CsvTokens = z
  .string()
  .optional()
  .transform((value) => (value ?? '').split(',').map((token) => token.trim()).filter((token) => token !== ''))
  .pipe(
    z.array(
      z
        .string()
        .min(16, 'Each token in RELAY_TOKENS needs at least 16 characters, so it cannot be guessed.')
        // RFC 6750 token68: what a Bearer header can carry, and all Hono's bearer-auth accepts.
        .regex(/^[A-Za-z0-9._~+/-]+=*$/, 'Tokens in RELAY_TOKENS may use only letters, digits and . _ ~ + / - (and = at the end).')
    )
  )

const OptionalSecret = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()))

const HttpUrl = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//.test(value), 'must start with http:// or https://')
  .transform((value) => value.replace(/\/+$/, ''))

const PositiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback)

/** Every variable the relay reads. The README's configuration table lists the same ones. */
export const RelayEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  RELAY_TOKENS: CsvTokens,
  DEFAULT_PROVIDER: ProviderId.optional(),
  RUNWARE_API_KEY: OptionalSecret,
  RUNWARE_API_URL: HttpUrl.default('https://api.runware.ai/v1'),
  RESULT_TTL_SECONDS: PositiveInt(3600),
  PROVIDER_TIMEOUT_SECONDS: PositiveInt(180),
  MAX_REQUEST_MB: PositiveInt(50)
})

export interface RelayConfig {
  port: number
  host: string
  tokens: string[]
  defaultProvider: ProviderId | undefined
  providerKeys: Partial<Record<ProviderId, string>>
  providerUrls: Record<ProviderId, string>
  resultTtlMs: number
  providerTimeoutMs: number
  maxRequestBytes: number
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

/** Parses the environment once at start; a bad value stops the relay with a readable message. */
export function parseRelayConfig(env: Record<string, string | undefined>): RelayConfig {
  const parsed = RelayEnv.safeParse(env)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`)
    throw new ConfigError(`The relay's configuration is not valid:\n${lines.join('\n')}`)
  }
  const value = parsed.data
  const providerKeys: Partial<Record<ProviderId, string>> = {}
  if (value.RUNWARE_API_KEY !== undefined) providerKeys.runware = value.RUNWARE_API_KEY
  const configured = ProviderId.options.filter((id) => providerKeys[id] !== undefined)
  if (value.DEFAULT_PROVIDER !== undefined && !configured.includes(value.DEFAULT_PROVIDER)) {
    throw new ConfigError(
      `DEFAULT_PROVIDER is ${value.DEFAULT_PROVIDER}, but that host has no API key. Set its key or choose one of: ${configured.join(', ') || '(none configured)'}.`
    )
  }
  return {
    port: value.PORT,
    host: value.HOST,
    tokens: value.RELAY_TOKENS,
    defaultProvider: value.DEFAULT_PROVIDER ?? configured[0],
    providerKeys,
    providerUrls: { runware: value.RUNWARE_API_URL },
    resultTtlMs: value.RESULT_TTL_SECONDS * 1000,
    providerTimeoutMs: value.PROVIDER_TIMEOUT_SECONDS * 1000,
    maxRequestBytes: value.MAX_REQUEST_MB * 1024 * 1024
  }
}
