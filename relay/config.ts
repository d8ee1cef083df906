import * as z from 'zod'
import { ProviderId, type ModelId, type ModelOffer } from '../shared/models'
import type { Account } from './auth/account'
import { parseTokensFile } from './auth/tokens-file'
import { ConfigError } from './config-error'
import { Optional, PositiveInt, Flag } from './env-fields'
import { DEFAULT_MAX_INFLIGHT_BYTES, DEFAULT_RELAY_MAX_RUNNING_EDITS } from './jobs/edit-capacity'
import type { HostEnvResult } from './providers/host-definition'
import { HOSTS } from './providers/hosts'

const CsvTokens = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((token) => token.trim())
      .filter((token) => token !== '')
  )
  .pipe(
    z.array(
      z
        .string()
        .min(16, 'Each token in RELAY_TOKENS needs at least 16 characters, so it cannot be guessed.')
        // RFC 6750 token68: what a Bearer header can carry, and all Hono's bearer-auth accepts.
        .regex(/^[A-Za-z0-9._~+/-]+=*$/, 'Tokens in RELAY_TOKENS may use only letters, digits and . _ ~ + / - (and = at the end).')
    )
  )

/**
 * The relay's own variables; each host's are in its folder (relay/providers/<host>/<host>-host.ts).
 * docs/team-relay.md's configuration table lists them all.
 */
export const RelayEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  RELAY_TOKENS: CsvTokens,
  DEFAULT_PROVIDER: z.optional(ProviderId),
  RESULT_TTL_SECONDS: PositiveInt(3600),
  PROVIDER_TIMEOUT_SECONDS: PositiveInt(180),
  MAX_REQUEST_MB: PositiveInt(50),
  // Edits running at once on the whole relay (per owner: maxRunningEdits in the tokens file).
  RELAY_MAX_RUNNING_EDITS: PositiveInt(DEFAULT_RELAY_MAX_RUNNING_EDITS),
  // Megabytes of uploads being read plus references of running edits that the relay holds at once.
  RELAY_MAX_INFLIGHT_MB: PositiveInt(DEFAULT_MAX_INFLIGHT_BYTES / 1048576),
  // A JSON file naming each token's owner, daily budget and rate (see relay/auth/tokens-file.ts).
  RELAY_TOKENS_FILE: Optional,
  // Where the Node relay keeps jobs, result images and the usage ledger across restarts.
  RELAY_DATA_DIR: z.string().trim().min(1).default('.relay-data'),
  // Prompts stay out of the logs unless this is 1; image bytes never go in.
  LOG_PROMPTS: Flag,
  // On SIGTERM/SIGINT, how long running edits may take to finish before they are recorded as interrupted.
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).max(3600).default(25)
})
export type RelayEnv = z.infer<typeof RelayEnv>

/** One host's settings. `enabled` when its key (ComfyUI: its URL) is set. */
export interface HostConfig {
  enabled: boolean
  /** The secret the host wants; never logged, never sent anywhere but that host. */
  key: string | undefined
  /** The host's base URL; tests and operators point it anywhere. */
  url: string
  /** Host-specific settings (e.g. a workflow file), by variable name. */
  settings: Readonly<Record<string, string | undefined>>
  /** Overrides of the catalogue's offers for this host (e.g. configured model ids). */
  offerOverrides: Partial<Record<ModelId, Partial<ModelOffer>>>
}

export interface RelayConfig {
  port: number
  host: string
  /** Tokens from RELAY_TOKENS: no budget, the default rate. */
  tokens: string[]
  /** Tokens from RELAY_TOKENS_FILE, with their owners, budgets and rates. */
  accounts: Account[]
  tokensFile: string | undefined
  /** The Node relay's store directory. */
  dataDir: string
  logPrompts: boolean
  shutdownGraceMs: number
  defaultProvider: ProviderId | undefined
  hosts: Record<ProviderId, HostConfig>
  resultTtlMs: number
  providerTimeoutMs: number
  maxRequestBytes: number
  /** Running edits the relay takes at once, all owners together. */
  maxRunningEdits: number
  /** Bytes of uploads and references held at once. */
  maxInflightBytes: number
}

/** Called once every host's variables were found valid. */
function configOf(result: HostEnvResult | undefined): HostConfig {
  if (result?.ok !== true) throw new ConfigError("A host's configuration is not valid.")
  return result.config
}

/** Every host's config, keyed as the catalogue keys hosts (Object.fromEntries loses the key type). */
function hostsOf(results: readonly HostEnvResult[]): Record<ProviderId, HostConfig> {
  return Object.fromEntries(ProviderId.options.map((id, index) => [id, configOf(results[index])])) as Record<ProviderId, HostConfig>
}

export interface ParseOptions {
  /** Reads RELAY_TOKENS_FILE (the Node entry passes readFileSync); without it that variable is refused. */
  readFile?: (path: string) => string
}

function accountsFrom(path: string | undefined, plainTokens: readonly string[], options: ParseOptions): Account[] {
  if (path === undefined) return []
  if (options.readFile === undefined)
    throw new ConfigError('RELAY_TOKENS_FILE is set, but this runtime cannot read files. Pass the tokens another way.')
  let text: string
  try {
    text = options.readFile(path)
  } catch (error) {
    const code = (error as { code?: unknown }).code
    const reason =
      code === 'ENOENT'
        ? 'there is no such file'
        : code === 'EACCES'
          ? 'the relay may not read it'
          : error instanceof Error
            ? error.message
            : String(error)
    throw new ConfigError(`RELAY_TOKENS_FILE is ${path}, but it cannot be read: ${reason}.`)
  }
  const parsed = parseTokensFile(text)
  if (!parsed.ok) {
    throw new ConfigError(
      `The tokens file ${path} (RELAY_TOKENS_FILE) is not valid:\n${parsed.problems.map((problem) => `  ${problem}`).join('\n')}\nSee docs/team-relay.md, "The tokens file", for its format.`
    )
  }
  const twin = parsed.accounts.findIndex((account) => plainTokens.includes(account.token))
  if (twin >= 0) throw new ConfigError(`tokens[${twin}] of ${path} is also in RELAY_TOKENS. Keep each token in one place.`)
  return parsed.accounts
}

/** Parses the environment once at start; a bad value stops the relay with a readable message. */
export function parseRelayConfig(env: Record<string, string | undefined>, options: ParseOptions = {}): RelayConfig {
  const parsed = RelayEnv.safeParse(env)
  const hostEnvs = ProviderId.options.map((id) => HOSTS[id].readEnv(env))
  const issues = [...(parsed.success ? [] : parsed.error.issues), ...hostEnvs.flatMap((result) => (result.ok ? [] : result.issues))]
  if (!parsed.success || issues.length > 0) {
    const lines = issues.map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`)
    throw new ConfigError(`The relay's configuration is not valid:\n${lines.join('\n')}`)
  }
  const value = parsed.data
  const hosts = hostsOf(hostEnvs)
  const configured = ProviderId.options.filter((id) => hosts[id].enabled)
  if (value.DEFAULT_PROVIDER !== undefined && !configured.includes(value.DEFAULT_PROVIDER)) {
    throw new ConfigError(
      `DEFAULT_PROVIDER is ${value.DEFAULT_PROVIDER}, but that host has no API key. Set its key or choose one of: ${configured.join(', ') || '(none configured)'}.`
    )
  }
  return {
    port: value.PORT,
    host: value.HOST,
    tokens: value.RELAY_TOKENS,
    accounts: accountsFrom(value.RELAY_TOKENS_FILE, value.RELAY_TOKENS, options),
    tokensFile: value.RELAY_TOKENS_FILE,
    dataDir: value.RELAY_DATA_DIR,
    logPrompts: value.LOG_PROMPTS,
    shutdownGraceMs: value.SHUTDOWN_GRACE_SECONDS * 1000,
    defaultProvider: value.DEFAULT_PROVIDER ?? configured[0],
    hosts,
    resultTtlMs: value.RESULT_TTL_SECONDS * 1000,
    providerTimeoutMs: value.PROVIDER_TIMEOUT_SECONDS * 1000,
    maxRequestBytes: value.MAX_REQUEST_MB * 1024 * 1024,
    maxRunningEdits: value.RELAY_MAX_RUNNING_EDITS,
    maxInflightBytes: value.RELAY_MAX_INFLIGHT_MB * 1024 * 1024
  }
}
