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
    ['http://[::1]:8787', 'http://[::1]:8787'],
    ['https://relay.example.com:1', 'https://relay.example.com:1'],
    ['https://relay.example.com:65535', 'https://relay.example.com:65535'],
    ['http://relay.example.com:443', 'http://relay.example.com:443'],
    ['https://relay.example.com:80', 'https://relay.example.com:80'],
    ['https://relay.example.com:', 'https://relay.example.com'],
    ['https://relay.example.com.', 'https://relay.example.com.'],
    ['https://a', 'https://a'],
    ['https://a1-b', 'https://a1-b'],
    [`https://${'a'.repeat(63)}.example`, `https://${'a'.repeat(63)}.example`],
    [`https://${'a.'.repeat(126)}a`, `https://${'a.'.repeat(126)}a`],
    ['http://[2001:db8::1]', 'http://[2001:db8::1]']
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
    ['http://', 'not_a_url'],
    ['https://relay-.example.com', 'not_a_url'],
    [`https://${'a'.repeat(64)}.example`, 'not_a_url'],
    [`https://${'a.'.repeat(127)}a`, 'not_a_url'],
    ['https://relay_host.example.com', 'not_a_url'],
    ['https://[::1', 'not_a_url'],
    ['https://[]', 'not_a_url'],
    ['https://[::g]', 'not_a_url'],
    ['https://a:b:c', 'not_a_url'],
    ['https://relay.example.com:123456', 'port'],
    ['https://relay.example.com:-1', 'port'],
    ['https://relay.example.com:a80', 'port'],
    ['https:relay.example.com', 'not_a_url'],
    ['1https://relay.example.com', 'not_a_url'],
    ['https://relay.example.com/#', 'path']
  ])('refuses %j (%s)', (input, problem) => {
    expect(parseHttpOrigin(input)).toEqual({ ok: false, problem })
  })

  it('is what the settings schema uses, with a message a designer can act on', () => {
    expect(RelayUrl.parse('https://relay.example.com/')).toBe('https://relay.example.com')
    expect(RelayUrl.safeParse('https://relay.example.com/api').error?.issues[0]?.message).toContain('without a path')
    expect(RelayUrl.safeParse('ftp://relay.example.com').error?.issues[0]?.message).toContain('http:// or https://')
  })

  it('reads scheme, host and port apart', () => {
    expect(parseHttpOrigin('HTTP://Relay.Example.com:8080/')).toStrictEqual({
      ok: true,
      origin: 'http://relay.example.com:8080',
      scheme: 'http',
      host: 'relay.example.com',
      port: 8080
    })
    expect(parseHttpOrigin('https://relay.example.com')).toMatchObject({ scheme: 'https', port: 443 })
  })

  it('tells the designer what is wrong with each kind of relay URL', () => {
    expect(RelayUrl.safeParse('relay.example.com').error?.issues[0]?.message).toBe('Enter a full URL such as http://localhost:8787')
    expect(RelayUrl.safeParse('https://relay.example.com:0').error?.issues[0]?.message).toBe('The port must be a number from 1 to 65535')
  })
})
