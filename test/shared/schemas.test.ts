import { describe, expect, it } from 'vitest'
import { PluginToUi, UiToPlugin } from '../../shared/messages'
import { EditRequest } from '../../shared/relay-api'
import { DEFAULT_SETTINGS, Settings } from '../../shared/settings'

describe('the edit request', () => {
  it('is valid with only a prompt, and fills in the defaults', () => {
    expect(EditRequest.parse({ prompt: 'make it blue' })).toEqual({
      prompt: 'make it blue',
      model: 'kontext-max',
      aspectRatio: 'auto',
      numImages: 1,
      outputFormat: 'png'
    })
  })

  it.each([
    [{ prompt: 'x' }, 'at least 2'],
    [{ prompt: 'y'.repeat(3001) }, 'at most 3000'],
    [{ prompt: 'ok ok', numImages: 5 }, 'numImages'],
    [{ prompt: 'ok ok', seed: -1 }, 'seed'],
    [{ prompt: 'ok ok', aspectRatio: '5:4' }, 'aspectRatio'],
    [{ prompt: 'ok ok', safetyTolerance: 7 }, 'safetyTolerance'],
    [{ prompt: 'ok ok', provider: 'midjourney' }, 'provider'],
    [{ prompt: 'ok ok', steps: 0 }, 'steps'],
    [{ prompt: 'ok ok', outputFormat: 'gif' }, 'outputFormat'],
    [{ prompt: 'ok ok', negativePrompt: 'blur' }, 'negativePrompt']
  ])('rejects %j', (input, mention) => {
    const result = EditRequest.safeParse(input)
    expect(result.success).toBe(false)
    expect(JSON.stringify(result.error?.issues)).toContain(mention)
  })
})

describe('stored settings', () => {
  it('fall back field by field, keeping what is still good', () => {
    const parsed = Settings.parse({
      version: 7,
      relayUrl: 'not a url',
      token: 'kept-token',
      options: { numImages: 9, seed: 12, outputFormat: 'jpeg' }
    })
    expect(parsed.relayUrl).toBe(DEFAULT_SETTINGS.relayUrl)
    expect(parsed.token).toBe('kept-token')
    expect(parsed.options).toMatchObject({ numImages: 1, seed: 12, outputFormat: 'jpeg' })
  })

  it('normalise the relay URL', () => {
    expect(Settings.parse({ relayUrl: ' https://relay.example.com/ ' }).relayUrl).toBe('https://relay.example.com')
  })
})

describe('messages between sandbox and panel', () => {
  it('reject unknown types and malformed payloads', () => {
    expect(UiToPlugin.safeParse({ type: 'delete-everything' }).success).toBe(false)
    expect(UiToPlugin.safeParse({ type: 'export-selection' }).success).toBe(false)
    expect(UiToPlugin.safeParse({ type: 'place-results', requestId: 'r', sourceId: 's', images: [] }).success).toBe(false)
    expect(
      PluginToUi.safeParse({
        type: 'exported',
        requestId: 'r',
        references: [{ sourceId: 's', name: 'n', width: 1, height: 1, png: 'not bytes', pixelWidth: 1, pixelHeight: 1 }]
      }).success
    ).toBe(false)
    expect(PluginToUi.safeParse(null).success).toBe(false)
  })
})
