import * as z from 'zod'
import { AspectRatio } from './aspect-ratios'
import { MAX_VARIANTS, SAFETY_TOLERANCE_MAX } from './limits'
import { DEFAULT_MODEL, ModelId, ProviderId } from './models'
import { OutputFormat } from './relay-api'
import { parseHttpOrigin, type OriginProblem } from './parse-http-origin'

declare const __KONTEXT_DEFAULT_RELAY_URL__: string | undefined

/** Set at build time from RELAY_ORIGIN; the local relay otherwise. */
export const DEFAULT_RELAY_URL = typeof __KONTEXT_DEFAULT_RELAY_URL__ === 'string' ? __KONTEXT_DEFAULT_RELAY_URL__ : 'http://localhost:8787'

const RELAY_URL_PROBLEMS: Record<OriginProblem, string> = {
  not_a_url: 'Enter a full URL such as http://localhost:8787',
  scheme: 'The relay URL must start with http:// or https://',
  path: 'Enter the relay’s address without a path, such as https://relay.example.com',
  port: 'The port must be a number from 1 to 65535'
}

/** The relay's origin. Parsed without `URL`: this schema also runs in Figma's sandbox, which has none. */
export const RelayUrl = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const parsed = parseHttpOrigin(value)
    if (parsed.ok) return parsed.origin
    ctx.addIssue({ code: 'custom', message: RELAY_URL_PROBLEMS[parsed.problem] })
    return z.NEVER
  })

export const EditOptions = z.object({
  /** null: the relay's default host. */
  provider: ProviderId.nullable().catch(null),
  model: ModelId.catch(DEFAULT_MODEL),
  aspectRatio: AspectRatio.catch('auto'),
  numImages: z.number().int().min(1).max(MAX_VARIANTS).catch(1),
  seed: z.number().int().nonnegative().nullable().catch(null),
  promptUpsampling: z.boolean().catch(false),
  safetyTolerance: z.number().int().min(0).max(SAFETY_TOLERANCE_MAX).catch(2),
  outputFormat: OutputFormat.catch('png'),
  /** null: the host's default. Offered only where the host has the setting. */
  guidance: z.number().nonnegative().nullable().catch(null),
  steps: z.number().int().positive().nullable().catch(null),
  outputQuality: z.number().int().min(0).max(100).nullable().catch(null)
})
export type EditOptions = z.infer<typeof EditOptions>

export const DEFAULT_OPTIONS: EditOptions = EditOptions.parse({})

/**
 * What the plugin keeps in figma.clientStorage. Every field falls back on its own, so one bad
 * field (an older version, a hand edit) never throws away the rest.
 */
export const Settings = z.object({
  version: z.literal(1).catch(1),
  relayUrl: RelayUrl.catch(DEFAULT_RELAY_URL),
  token: z.string().trim().max(512).catch(''),
  options: EditOptions.catch(DEFAULT_OPTIONS)
})
export type Settings = z.infer<typeof Settings>

export const DEFAULT_SETTINGS: Settings = Settings.parse({})

export const SETTINGS_STORAGE_KEY = 'kontext-edit/settings'
