import * as z from 'zod/mini'
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

/**
 * The relay's origin. Parsed without `URL`: this schema also runs in Figma's sandbox, which has none.
 * zod/mini's transform is handed the parse payload (classic zod's `ctx.addIssue` is not there), so
 * the problem is pushed onto its issues; its message is written here, so it needs no zod locale.
 */
export const RelayUrl = z.pipe(
  z.string().check(z.trim()),
  z.transform((value: string, payload) => {
    const parsed = parseHttpOrigin(value)
    if (parsed.ok) return parsed.origin
    payload.issues.push({ code: 'custom', message: RELAY_URL_PROBLEMS[parsed.problem], input: value })
    return z.NEVER
  })
)

export const EditOptions = z.object({
  /** null: the relay's default host. */
  provider: z.catch(z.nullable(ProviderId), null),
  model: z.catch(ModelId, DEFAULT_MODEL),
  aspectRatio: z.catch(AspectRatio, 'auto'),
  numImages: z.catch(z.int().check(z.minimum(1), z.maximum(MAX_VARIANTS)), 1),
  seed: z.catch(z.nullable(z.int().check(z.nonnegative())), null),
  promptUpsampling: z.catch(z.boolean(), false),
  safetyTolerance: z.catch(z.int().check(z.minimum(0), z.maximum(SAFETY_TOLERANCE_MAX)), 2),
  outputFormat: z.catch(OutputFormat, 'png'),
  /** null: the host's default. Offered only where the host has the setting. */
  guidance: z.catch(z.nullable(z.number().check(z.nonnegative())), null),
  steps: z.catch(z.nullable(z.int().check(z.positive())), null),
  outputQuality: z.catch(z.nullable(z.int().check(z.minimum(0), z.maximum(100))), null)
})
export type EditOptions = z.infer<typeof EditOptions>

export const DEFAULT_OPTIONS: EditOptions = EditOptions.parse({})

/**
 * What the plugin keeps in figma.clientStorage. Every field falls back on its own, so one bad
 * field (an older version, a hand edit) never throws away the rest.
 */
export const Settings = z.object({
  version: z.catch(z.literal(1), 1),
  relayUrl: z.catch(RelayUrl, DEFAULT_RELAY_URL),
  token: z.catch(z.string().check(z.trim(), z.maxLength(512)), ''),
  options: z.catch(EditOptions, DEFAULT_OPTIONS)
})
export type Settings = z.infer<typeof Settings>

export const DEFAULT_SETTINGS: Settings = Settings.parse({})

export const SETTINGS_STORAGE_KEY = 'kontext-edit/settings'
