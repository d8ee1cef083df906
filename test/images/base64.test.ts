/**
 * The base64 helpers, with Node's Buffer and without it (as on Workers): the same text either way,
 * for views that start inside their buffer and for images longer than one 48 KiB step.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'

interface Base64Modules {
  base64ToBytes: (base64: string) => Uint8Array
  bytesToBase64: (bytes: Uint8Array) => string
  writeBase64Into: (bytes: Uint8Array, target: Uint8Array, offset: number) => number
  base64Length: (byteLength: number) => number
}

async function importAsync(): Promise<Base64Modules> {
  vi.resetModules()
  const [{ base64ToBytes }, { bytesToBase64 }, { writeBase64Into, base64Length }] = await Promise.all([
    import('../../relay/images/base64-to-bytes'),
    import('../../relay/images/bytes-to-base64'),
    import('../../relay/images/write-base64-into')
  ])
  return { base64ToBytes, bytesToBase64, writeBase64Into, base64Length }
}

const RUNTIMES: Array<[string, () => void]> = [
  ['with Node’s Buffer', () => undefined],
  ['without Buffer (Workers)', () => vi.stubGlobal('Buffer', undefined)]
]

const bytes = Uint8Array.from({ length: 3 * 16 * 1024 * 2 + 7 }, (_, i) => (i * 131 + (i >> 9)) & 0xff)
const expected = (view: Uint8Array): string => Buffer.from(view).toString('base64')

afterEach(() => {
  vi.unstubAllGlobals()
})

describe.each(RUNTIMES)('%s', (_name, setUp) => {
  it('bytesToBase64 encodes exactly the view, not its whole buffer', async () => {
    setUp()
    const { bytesToBase64 } = await importAsync()
    const { NodeBuffer } = await import('../../relay/images/node-buffer')
    expect(NodeBuffer === undefined).toBe(_name.startsWith('without'))
    const view = bytes.subarray(5, 1000)
    const text = bytesToBase64(view)
    vi.unstubAllGlobals()
    expect(text).toBe(expected(view))
  })

  it('base64ToBytes decodes to a plain Uint8Array', async () => {
    setUp()
    const { base64ToBytes } = await importAsync()
    const decoded = base64ToBytes('AAECAwT/')
    vi.unstubAllGlobals()
    expect(decoded).toBeInstanceOf(Uint8Array)
    expect([...decoded]).toEqual([0, 1, 2, 3, 4, 255])
  })

  it('writeBase64Into writes at the offset, in steps that join, and answers the offset after it', async () => {
    setUp()
    const { writeBase64Into, base64Length } = await importAsync()
    const view = bytes.subarray(3)
    const target = new Uint8Array(base64Length(view.length) + 10).fill(0x2a)
    const end = writeBase64Into(view, target, 4)
    const empty = writeBase64Into(new Uint8Array(0), target, 4)
    vi.unstubAllGlobals()
    expect(end).toBe(4 + base64Length(view.length))
    expect(empty).toBe(4)
    expect(new TextDecoder().decode(target.subarray(4, end))).toBe(expected(view))
    expect([...target.subarray(0, 4), ...target.subarray(end)]).toEqual(Array<number>(10).fill(0x2a))
  })
})

describe('base64Length', () => {
  it('rounds up to whole groups of four', async () => {
    const { base64Length } = await importAsync()
    expect([0, 1, 2, 3, 4, 5, 6].map(base64Length)).toEqual([0, 4, 4, 4, 8, 8, 8])
  })
})
