import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { entryAllows } from '../../shared/entry-allows'
import { relayAccess } from '../../shared/relay-access'

describe('whether the manifest lets the panel reach a relay', () => {
  it.each([
    ['https://relay.example.com', 'https://relay.example.com', true],
    ['https://relay.example.com', 'https://relay.example.com:8443', false],
    ['https://relay.example.com', 'http://relay.example.com', false],
    ['http://relay.example.com', 'https://relay.example.com', true],
    ['relay.example.com', 'https://relay.example.com', true],
    ['relay.example.com', 'http://relay.example.com', false],
    ['*.example.com', 'https://team.example.com', true],
    ['*.example.com', 'https://example.com', false],
    ['http://localhost:8787', 'http://localhost:8787', true],
    ['http://localhost:8787', 'http://127.0.0.1:8787', false],
    ['http://localhost:*', 'http://localhost:9999', true],
    ['https://example.com/api/', 'https://example.com', false],
    ['https://example.com/', 'https://example.com', true],
    ['*', 'http://anything.test:1234', true],
    ['none', 'https://relay.example.com', false],
    ['HTTPS://RELAY.Example.com', 'https://relay.example.com', true],
    ['https://*', 'https://anything.test', true],
    ['https://*', 'http://anything.test', false],
    ['*.example.com', 'https://a.b.example.com', true],
    ['*.example.com', 'https://badexample.com', false],
    ['https://relay.example.com:443', 'https://relay.example.com', true],
    ['https://relay.example.com:8443', 'https://relay.example.com', false],
    ['https://relay.example.com:8443', 'https://relay.example.com:8443', true],
    ['http://relay.example.com', 'https://relay.example.com:80', false],
    ['  relay.example.com  ', 'https://relay.example.com', true],
    ['wss://relay.example.com', 'https://relay.example.com', false],
    ['rel*ay.example.com', 'https://relay.example.com', false],
    ['relay.example.com', 'not a url', false],
    ['http://relay.example.com', 'not a url', false],
    ['xrelay.example.com', 'https://relay.example.com', false]
  ])('%s allows %s: %s', (entry, origin, allowed) => {
    expect(entryAllows(entry, origin)).toBe(allowed)
  })

  it('tells a published build’s relays from development-only ones and blocked ones', () => {
    const { networkAccess } = JSON.parse(readFileSync('manifest.json', 'utf8')) as {
      networkAccess: { allowedDomains: string[]; devAllowedDomains: string[] }
    }
    expect(relayAccess(networkAccess.allowedDomains[0]!, networkAccess)).toBe('allowed')
    expect(relayAccess('http://localhost:8787', networkAccess)).toBe('dev-only')
    expect(relayAccess('https://somewhere-else.example', networkAccess)).toBe('blocked')
  })

  it('reads a missing development list as empty', () => {
    expect(relayAccess('http://localhost:8787', { allowedDomains: ['https://relay.example.com'] })).toBe('blocked')
    expect(relayAccess('https://relay.example.com', { allowedDomains: ['none', 'https://relay.example.com'] })).toBe('allowed')
    expect(relayAccess('http://localhost:8787', { allowedDomains: ['none'], devAllowedDomains: ['none', 'http://localhost:8787'] })).toBe(
      'dev-only'
    )
  })
})
