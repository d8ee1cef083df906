import type * as z from 'zod'
import type { ProviderId } from '../../shared/models'
import type { HostConfig } from '../config'
import type { ProviderFactory } from './provider'

/** A host's variables read from the environment: its config, or what is wrong with them. */
export type HostEnvResult = { ok: true; config: HostConfig } | { ok: false; issues: z.core.$ZodIssue[] }

/**
 * Everything the relay knows of one host beyond the catalogue (shared/models.ts): the variables it
 * reads, how they become its HostConfig, its adapter, and how large an answer it may send. Each
 * host's folder exports one (`relay/providers/<host>/<host>-host.ts`); `HOSTS` lists them, and
 * config, `createRelay` and the docs' tables follow that list.
 */
export interface HostDefinition {
  readonly id: ProviderId
  /** The variables this host reads, in the order docs/team-relay.md lists them. */
  readonly variables: readonly string[]
  readEnv(env: Readonly<Record<string, string | undefined>>): HostEnvResult
  readonly createProvider: ProviderFactory
  /** The cap on one answer read as text (default: host-fetch-async's 16 MiB). */
  readonly answerMaxBytes?: number
}

/** Declares a host with its env schema typed, so `config` reads parsed values without casts. */
export function defineHost<Shape extends z.ZodRawShape>(definition: {
  id: ProviderId
  env: z.ZodObject<Shape>
  config: (env: z.output<z.ZodObject<Shape>>) => HostConfig
  createProvider: ProviderFactory
  answerMaxBytes?: number
}): HostDefinition {
  const { id, env, config, createProvider, answerMaxBytes } = definition
  return {
    id,
    variables: Object.keys(env.shape),
    readEnv(values) {
      const parsed = env.safeParse(values)
      return parsed.success ? { ok: true, config: config(parsed.data) } : { ok: false, issues: parsed.error.issues }
    },
    createProvider,
    ...(answerMaxBytes === undefined ? {} : { answerMaxBytes })
  }
}

/**
 * The cap on one answer read as text, for hosts whose answers can carry result images as base64
 * (Runware `imageBase64Data`, Replicate's sync `data:` output, Runflow's inline `data:` output,
 * fal's `data:` URLs, which its adapter accepts). BFL and ComfyUI answer a few kB of JSON and keep
 * readTextAsync's 16 MiB default. The figure: the plugin places results up to 4096 px a side; a
 * 4096² RGB PNG is at most its 48 MiB of pixels (incompressible noise), 64 MiB as base64, and
 * about half that for photographic content. 128 MiB holds two worst-case 4096² images or four
 * typical ones (every host's variantsPerCall is at most 4), and over thirty times Kontext's own
 * largest output (1568×672 RGBA, at most ~4 MiB as a PNG). Reading stops there, far below V8's
 * string limit (~512 MiB), which a 700 MB answer used to hit.
 */
export const BASE64_ANSWER_MAX_BYTES = 128 * 1024 * 1024

/** A host that is enabled by its key. */
export function keyedHostConfig(
  key: string | undefined,
  url: string,
  settings: HostConfig['settings'] = {},
  offerOverrides: HostConfig['offerOverrides'] = {}
): HostConfig {
  return { enabled: key !== undefined, key, url, settings, offerOverrides }
}
