import { describe, expect, it } from 'vitest'
import { ConfigError, parseRelayConfig } from '../../relay/config'

describe('the relay configuration', () => {
  it('starts with nothing set, on localhost:8787, with no host enabled', () => {
    const config = parseRelayConfig({})
    expect(config).toMatchObject({ port: 8787, host: '127.0.0.1', tokens: [], defaultProvider: undefined, providerUrls: { runware: 'https://api.runware.ai/v1' } })
  })

  it('enables Runware when its key is set, and trims the URL', () => {
    const config = parseRelayConfig({ RUNWARE_API_KEY: ' key ', RUNWARE_API_URL: 'http://127.0.0.1:9/v1/' })
    expect(config).toMatchObject({ defaultProvider: 'runware', providerKeys: { runware: 'key' }, providerUrls: { runware: 'http://127.0.0.1:9/v1' } })
  })

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ RELAY_TOKENS: 'short' }, 'at least 16 characters'],
    [{ RUNWARE_API_URL: 'ftp://x' }, 'RUNWARE_API_URL'],
    [{ DEFAULT_PROVIDER: 'runware' }, 'has no API key']
  ])('stops with a readable message for %j', (env, mention) => {
    expect(() => parseRelayConfig(env)).toThrow(ConfigError)
    expect(() => parseRelayConfig(env)).toThrow(mention)
  })
})
