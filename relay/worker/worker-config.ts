import { parseRelayConfig, type RelayConfig } from '../config'
import { ConfigError } from '../config-error'

/**
 * The name RELAY_TOKENS_FILE takes on Workers, where there are no files: the tokens file's JSON
 * itself is the secret RELAY_TOKENS_JSON (`wrangler secret put RELAY_TOKENS_JSON < tokens.json`).
 */
export const TOKENS_JSON_BINDING = 'RELAY_TOKENS_JSON'

/** The Worker's bindings: text variables and secrets, the Durable Object namespace, and others. */
export type WorkerEnv = Record<string, unknown>

/** Only text bindings are configuration; the namespace and other objects are not. */
export function textBindings(env: WorkerEnv): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') out[name] = value
  return out
}

/**
 * The relay's configuration from the Worker's bindings, through the same `parseRelayConfig` as
 * Node: host keys and RELAY_TOKENS are secrets, the rest plain variables. The tokens file comes
 * as RELAY_TOKENS_JSON; RELAY_TOKENS_FILE itself is refused (there is no disk to read).
 */
export function workerConfig(env: WorkerEnv): RelayConfig {
  const vars = textBindings(env)
  if (vars.RELAY_TOKENS_FILE !== undefined && vars.RELAY_TOKENS_FILE.trim() !== '') {
    throw new ConfigError(
      `RELAY_TOKENS_FILE cannot be read on Workers. Put the tokens file's JSON in the secret ${TOKENS_JSON_BINDING} instead.`
    )
  }
  const tokensJson = vars[TOKENS_JSON_BINDING]
  const hasJson = tokensJson !== undefined && tokensJson.trim() !== ''
  const config = parseRelayConfig(
    { ...vars, RELAY_TOKENS_FILE: hasJson ? TOKENS_JSON_BINDING : undefined },
    { readFile: (name) => (name === TOKENS_JSON_BINDING && hasJson ? tokensJson : '') }
  )
  if (config.hosts.comfyui.enabled) {
    // Its adapter reads a workflow file and uses a Node WebSocket client; the worker bundle leaves it out.
    throw new ConfigError('COMFYUI_URL is set, but ComfyUI is not available on Workers. Run the Node relay in front of ComfyUI instead.')
  }
  if (config.tokens.length === 0 && config.accounts.length === 0) {
    throw new ConfigError(
      `The Worker has no access tokens. Set the secret RELAY_TOKENS (comma-separated) or ${TOKENS_JSON_BINDING} (a tokens file's JSON).`
    )
  }
  return config
}

/** Every secret in the config, to mask in log lines. */
export function secretsOf(config: RelayConfig): string[] {
  return [
    ...Object.values(config.hosts).map((host) => host.key),
    ...config.tokens,
    ...config.accounts.map((account) => account.token)
  ].filter((value): value is string => value !== undefined)
}
