import { PROVIDERS, ProviderId } from '../../shared/models'
import type { RelayConfig } from '../config'

export interface BannerInput {
  config: RelayConfig
  url: string
  manifestPath: string
  /** The token to paste (RELAY_TOKENS or .relay-token); a team's tokens file is never printed. */
  token: string | undefined
  tokenSource: 'RELAY_TOKENS' | '.relay-token' | 'RELAY_TOKENS_FILE'
  envFileLoaded: boolean
  /** The folder jobs, results and the usage ledger are kept in. */
  dataDir?: string
}

/** What a person needs right after `npm start`, in the order they need it. */
export function startupBanner(input: BannerInput): string {
  const { config } = input
  const localOnly = ['127.0.0.1', 'localhost', '::1'].includes(config.host)
  const lines = [
    '',
    `Kontext Edit relay is running at ${input.url}${localOnly ? ' (this computer only; set HOST=0.0.0.0 to serve others)' : ''}`,
    input.envFileLoaded ? 'Settings read from the environment and .env.' : 'Settings read from the environment (no .env file found).',
    '',
    'Next steps',
    '  1. In the Figma desktop app: Plugins → Development → Import plugin from manifest…',
    `     and choose ${input.manifestPath}`,
    '  2. Run Kontext Edit, open its Settings, and enter:',
    `       Relay URL     ${input.url}`,
    `       Access token  ${input.token ?? `each person's own, from ${config.tokensFile ?? 'the tokens file'}`}`,
    input.tokenSource === '.relay-token'
      ? '     (RELAY_TOKENS is not set, so this token was created for you and kept in .relay-token.)'
      : input.tokenSource === 'RELAY_TOKENS_FILE'
        ? `     (${config.accounts.length} token${config.accounts.length === 1 ? '' : 's'} from RELAY_TOKENS_FILE${config.tokens.length > 0 ? ` and ${config.tokens.length} from RELAY_TOKENS` : ''}; GET /v1/usage shows each owner's spend)`
        : `     (from RELAY_TOKENS; ${config.tokens.length} token${config.tokens.length === 1 ? '' : 's'} configured)`,
    ...(input.dataDir === undefined ? [] : ['', `Jobs, results and the usage ledger are kept in ${input.dataDir}`]),
    '',
    'Image hosts'
  ]
  for (const id of ProviderId.options) {
    const spec = PROVIDERS[id]
    const configured = config.hosts[id].enabled
    const mark = configured
      ? `ready at ${config.hosts[id].url}${config.defaultProvider === id ? ' (default)' : ''}`
      : `off: set ${spec.apiKeyVariable} to enable`
    lines.push(`  ${spec.name.padEnd(22)} ${mark}`)
  }
  if (config.defaultProvider === undefined) {
    lines.push('', 'No image host is enabled yet: edits will fail until you set one host\'s key in .env (see the README, "Image hosts").')
  }
  lines.push('')
  return lines.join('\n')
}
