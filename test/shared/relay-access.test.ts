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
    ['none', 'https://relay.example.com', false]
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
})
