import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { imageSize } from 'image-size'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeRunwareAsync, type FakeRunware } from '../fakes/runware-server'
import { makePng } from '../fakes/make-image'
import { startRelayAsync, type RunningRelay } from '../support/start-relay-async'

const run = promisify(execFile)

describe('npm run edit', () => {
  let runware: FakeRunware
  let relay: RunningRelay
  const dir = mkdtempSync(join(tmpdir(), 'kontext-cli-'))

  beforeAll(async () => {
    await run('node', ['scripts/build.mjs', '--quiet'])
    runware = await startFakeRunwareAsync({ apiKey: 'rw-cli-key-0123456789' })
    relay = await startRelayAsync({ RUNWARE_API_KEY: runware.apiKey, RUNWARE_API_URL: runware.url })
  })

  afterAll(async () => {
    await relay.close()
    await runware.close()
  })

  it('edits a PNG through the relay and saves every variant', async () => {
    const input = join(dir, 'frame.png')
    writeFileSync(input, makePng(800, 450))
    const out = join(dir, 'result.png')
    const { stdout, stderr } = await run('node', [
      'dist/edit.mjs',
      '--image',
      input,
      '--prompt',
      'Make the sky purple',
      '--out',
      out,
      '--variants',
      '2',
      '--seed',
      '5',
      '--relay',
      relay.url,
      '--token',
      relay.token
    ])
    expect(stdout).toContain(`${out}  1392×752  seed 5`)
    expect(stdout).toContain(`${join(dir, 'result-2.png')}  1392×752  seed 6`)
    expect(stderr).toContain('succeeded')
    expect(imageSize(readFileSync(out))).toMatchObject({ width: 1392, height: 752, type: 'png' })
    expect(runware.accepted).toHaveLength(1)
  })

  it('explains a wrong token and exits with an error', async () => {
    const input = join(dir, 'frame.png')
    writeFileSync(input, makePng(100, 100))
    const failure = await run('node', [
      'dist/edit.mjs',
      '--image',
      input,
      '--prompt',
      'Make it blue',
      '--relay',
      relay.url,
      '--token',
      'wrong-token-xxxxxxxx'
    ]).catch((error: { code: number; stderr: string }) => error)
    expect(failure).toMatchObject({ code: 1, stderr: expect.stringContaining('(unauthorized)') })
  })

  it('prints usage when the prompt is missing', async () => {
    const failure = await run('node', ['dist/edit.mjs', '--image', 'x.png']).catch((error: { code: number; stderr: string }) => error)
    expect(failure).toMatchObject({ code: 1, stderr: expect.stringContaining('Usage: npm run edit') })
  })
})
