/**
 * What the worker bundle may contain, what wrangler.toml deploys, and how the Worker reads its
 * configuration from bindings (relay/worker/worker-config.ts), all under Node.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../relay/config-error'
import { TOKENS_JSON_BINDING, workerConfig } from '../../relay/worker/worker-config'
import { ALICE, PLAIN_TOKEN, TEAM_TOKENS } from '../team/team-harness'
import { COMPATIBILITY_DATE, COMPATIBILITY_FLAGS, WORKER_BUNDLE } from './start-worker-async'

describe('dist/worker.mjs', () => {
  const bundle = readFileSync(WORKER_BUNDLE, 'utf8')

  it('imports nothing from Node but node:async_hooks (nodejs_compat), and bundles everything else', () => {
    const imports = [
      ...bundle.matchAll(/^\s*import\s[^'"]*?from\s*["']([^"']+)["']/gm),
      ...bundle.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)
    ].map((match) => match[1])
    expect([...new Set(imports)]).toEqual(['node:async_hooks'])
    expect(bundle).not.toMatch(/\brequire\(\s*["']/)
    // ComfyUI's adapter (node:fs, ws) is swapped for the stub that refuses it.
    expect(bundle).not.toContain('readFileSync')
    expect(bundle).toContain('ComfyUI is not available on Workers')
  })

  it('exports the Worker’s fetch handler and the RelayObject Durable Object class', () => {
    expect(bundle).toMatch(/export\s*\{[^}]*\bRelayObject\b[^}]*\}/)
    expect(bundle).toMatch(/export\s*\{[^}]*\bas default\b[^}]*\}/)
  })
})

describe('wrangler.toml', () => {
  const toml = readFileSync('wrangler.toml', 'utf8')
  it('deploys the built bundle on the date and flags the tests run it with, with the RelayObject namespace bound as RELAY', () => {
    expect(toml).toMatch(/^main = "dist\/worker\.mjs"$/m)
    expect(toml).toMatch(new RegExp(`^compatibility_date = "${COMPATIBILITY_DATE}"$`, 'm'))
    expect(toml).toMatch(new RegExp(`^compatibility_flags = \\[${COMPATIBILITY_FLAGS.map((flag) => `"${flag}"`).join(', ')}\\]$`, 'm'))
    expect(toml).toMatch(/name = "RELAY"\nclass_name = "RelayObject"/)
    expect(toml).toMatch(/new_sqlite_classes = \["RelayObject"\]/)
    expect(toml).not.toMatch(/RELAY_TEST_ROUTES|_API_KEY\s*=|RELAY_TOKENS\s*=/)
  })
})

describe('the Worker’s configuration from bindings', () => {
  const base = { RUNWARE_API_KEY: 'rw-key-0123456789', RELAY: { not: 'text' } }

  it('reads the tokens file’s JSON from the RELAY_TOKENS_JSON secret, beside RELAY_TOKENS, and ignores bindings that are not text', () => {
    const config = workerConfig({ ...base, RELAY_TOKENS: PLAIN_TOKEN, [TOKENS_JSON_BINDING]: JSON.stringify(TEAM_TOKENS) })
    expect(config.tokens).toEqual([PLAIN_TOKEN])
    expect(config.accounts.map((account) => account.owner)).toEqual(['alice', 'bob', 'ops'])
    expect(config.accounts[0]).toMatchObject({ token: ALICE.token, dailyBudgetUsd: 1 })
    expect(config.hosts.runware.enabled).toBe(true)
  })

  it('stops with a readable message for a bad tokens JSON, RELAY_TOKENS_FILE, COMFYUI_URL, or no tokens at all', () => {
    expect(() => workerConfig({ ...base, [TOKENS_JSON_BINDING]: '{"tokens":[{"token":"short"}]}' })).toThrow(
      /RELAY_TOKENS_JSON.*not valid/s
    )
    expect(() => workerConfig({ ...base, RELAY_TOKENS_FILE: '/etc/tokens.json', RELAY_TOKENS: PLAIN_TOKEN })).toThrow(
      /RELAY_TOKENS_JSON instead/
    )
    expect(() => workerConfig({ ...base, RELAY_TOKENS: PLAIN_TOKEN, COMFYUI_URL: 'http://127.0.0.1:8188' })).toThrow(
      /ComfyUI is not available on Workers/
    )
    expect(() => workerConfig(base)).toThrow(ConfigError)
    expect(() => workerConfig(base)).toThrow(/no access tokens/)
  })
})
