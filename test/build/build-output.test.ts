import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'

describe('the built plugin', () => {
  let html: string
  let code: string
  let manifest: {
    main: string
    ui: string
    editorType: string[]
    documentAccess: string
    networkAccess: { allowedDomains: string[]; devAllowedDomains: string[]; reasoning: string }
  }

  beforeAll(() => {
    execFileSync('node', ['scripts/build.mjs', '--quiet'], { stdio: 'inherit' })
    html = readFileSync('dist/ui.html', 'utf8')
    code = readFileSync('dist/code.js', 'utf8')
    manifest = JSON.parse(readFileSync('manifest.json', 'utf8'))
  })

  it('has a single self-contained ui.html with nothing loaded from elsewhere', () => {
    expect(html).toMatch(/^<!doctype html>/)
    expect(html).not.toMatch(/<script[^>]+src=/i)
    expect(html).not.toMatch(/<link[^>]+href=/i)
    expect(html).not.toMatch(/@import/i)
    expect(html).not.toMatch(/url\((['"]?)https?:/i)
    expect(html.match(/<script>/g)).toHaveLength(1)
    expect(html).toContain('<style>')
  })

  it('keeps the panel small: one file under its 185 kB budget', () => {
    // A size budget, not a timing: the panel's whole weight is parsed each time the plugin opens
    // (179 kB: zod/mini 38 kB, pako's deflate 26 kB for region edits' banded PNGs, the catalogue
    // of 9 models on 6 hosts 9 kB; classic zod would add 55 kB, and the lint rule keeps it out).
    expect(Buffer.byteLength(html)).toBeLessThan(185 * 1024)
  })

  it('keeps the sandbox bundle small: under its 80 kB budget', () => {
    // Figma parses it on every run of the plugin, quick actions included (68 kB with zod/mini; the
    // catalogue stays out, as package.json's sideEffects lets esbuild drop what the sandbox never reads).
    expect(Buffer.byteLength(code)).toBeLessThan(80 * 1024)
  })

  it('keeps the sandbox bundle free of browser globals', () => {
    expect(code).not.toMatch(/\bwindow\./)
    expect(code).not.toMatch(/\bdocument\./)
  })

  it('builds the sandbox with the same default relay URL as the panel (RELAY_ORIGIN), not an unresolved placeholder', () => {
    // Without the define, the sandbox's settings defaults would say localhost in a team build.
    expect(code).not.toContain('__KONTEXT_DEFAULT_RELAY_URL__')
    expect(html).not.toContain('__KONTEXT_DEFAULT_RELAY_URL__')
  })

  it('declares the manifest Figma needs, with least-privilege network access', () => {
    expect(manifest).toMatchObject({ main: 'dist/code.js', ui: 'dist/ui.html', editorType: ['figma'], documentAccess: 'dynamic-page' })
    expect(manifest.networkAccess.allowedDomains).not.toContain('*')
    expect(manifest.networkAccess.allowedDomains.every((domain) => domain.startsWith('https://'))).toBe(true)
    expect(manifest.networkAccess.devAllowedDomains).toEqual(['http://localhost:8787'])
    expect(manifest.networkAccess.reasoning.length).toBeGreaterThan(20)
  })
})
