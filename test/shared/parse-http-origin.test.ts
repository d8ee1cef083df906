import { describe, expect, it } from 'vitest'
import { parseHttpOrigin } from '../../shared/parse-http-origin'
import { RelayUrl } from '../../shared/settings'

describe('reading a relay origin without URL', () => {
  it.each([
    ['http://localhost:8787', 'http://localhost:8787'],
    ['  https://Relay.Example.com/ ', 'https://relay.example.com'],
    ['https://relay.example.com:443', 'https://relay.example.com'],
    ['http://127.0.0.1:80//', 'http://127.0.0.1'],
    ['HTTPS://kontext-relay.acme.example:8443', 'https://kontext-relay.acme.example:8443'],
    ['http://[::1]:8787', 'http://[::1]:8787']
  ])('%s is %s', (input, origin) => {
    expect(parseHttpOrigin(input)).toMatchObject({ ok: true, origin })
    // The same answer as the URL parser the panel has.
    expect(new URL(input.trim()).origin).toBe(origin)
  })

  it.each([
    ['', 'not_a_url'],
    ['relay.example.com', 'not_a_url'],
    ['ftp://relay.example.com', 'scheme'],
    ['javascript://alert(1)', 'scheme'],
    ['https://relay.example.com/v1', 'path'],
    ['https://relay.example.com?x=1', 'path'],
    ['https://relay.example.com#top', 'path'],
    ['https://user:pass@relay.example.com', 'not_a_url'],
    ['https://relay..example.com', 'not_a_url'],
    ['https://-relay.example.com', 'not_a_url'],
    ['https://relay example.com', 'not_a_url'],
    ['https://relay.example.com:0', 'port'],
    ['https://relay.example.com:65536', 'port'],
    ['https://relay.example.com:80a', 'port'],
    ['http://', 'not_a_url']
  ])('refuses %j (%s)', (input, problem) => {
    expect(parseHttpOrigin(input)).toEqual({ ok: false, problem })
  })

  it('is what the settings schema uses, with a message a designer can act on', () => {
    expect(RelayUrl.parse('https://relay.example.com/')).toBe('https://relay.example.com')
    expect(RelayUrl.safeParse('https://relay.example.com/api').error?.issues[0]?.message).toContain('without a path')
    expect(RelayUrl.safeParse('ftp://relay.example.com').error?.issues[0]?.message).toContain('http:// or https://')
  })
})
