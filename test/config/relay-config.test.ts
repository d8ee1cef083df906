import { describe, expect, it } from 'vitest'
import { parseRelayConfig } from '../../relay/config'
import { enabledProviders } from '../../relay/enabled-providers'
import { resolveOffer } from '../../relay/resolve-offer'
import { ConfigError } from '../../relay/config-error'

describe('the relay configuration', () => {
  it('starts with nothing set, on localhost:8787, with no host enabled', () => {
    const config = parseRelayConfig({})
    expect(config).toMatchObject({ port: 8787, host: '127.0.0.1', tokens: [], defaultProvider: undefined })
    expect(enabledProviders(config)).toEqual([])
    expect(Object.fromEntries(Object.entries(config.hosts).map(([id, host]) => [id, host.url]))).toEqual({
      runware: 'https://api.runware.ai/v1',
      runflow: 'https://api.runflow.io',
      bfl: 'https://api.bfl.ai',
      fal: 'https://queue.fal.run',
      replicate: 'https://api.replicate.com',
      comfyui: 'http://127.0.0.1:8188'
    })
  })

  it('enables Runware when its key is set, and trims the URL', () => {
    const config = parseRelayConfig({ RUNWARE_API_KEY: ' key ', RUNWARE_API_URL: 'http://127.0.0.1:9/v1/' })
    expect(config.defaultProvider).toBe('runware')
    expect(config.hosts.runware).toMatchObject({ enabled: true, key: 'key', url: 'http://127.0.0.1:9/v1' })
  })

  it('enables ComfyUI by its URL, and picks the default host when asked', () => {
    const config = parseRelayConfig({ COMFYUI_URL: 'http://gpu-box:8188', BFL_API_KEY: 'bfl_key', DEFAULT_PROVIDER: 'comfyui' })
    expect(enabledProviders(config)).toEqual(['bfl', 'comfyui'])
    expect(config.defaultProvider).toBe('comfyui')
  })

  it('takes Runflow’s unconfirmed model ids from configuration', () => {
    const config = parseRelayConfig({ RUNFLOW_API_KEY: 'k', RUNFLOW_MAX_MODEL_ID: 'bfl/kontext-max-v2' })
    expect(resolveOffer(config, 'runflow', 'kontext-max')?.hostModelId).toBe('bfl/kontext-max-v2')
    expect(resolveOffer(config, 'runflow', 'kontext-pro')?.hostModelId).toBe('black-forest-labs/flux-pro/kontext')
    expect(resolveOffer(config, 'bfl', 'kontext-dev')).toBeUndefined()
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
