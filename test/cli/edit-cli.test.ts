import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { imageSize } from 'image-size'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resampleRgba } from '../../shared/area/resample-rgba'
import { startFakeRunwareAsync, type FakeRunware, type RunwareAnswerInput } from '../fakes/runware-server'
import { makeJpeg, makePng } from '../fakes/make-image'
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

  describe('--area', () => {
    const frame = join(dir, 'frame-1600.png')
    /** Pixels of a PNG file as one Buffer, RGBA. */
    const pixelsOf = (path: string): { data: Buffer; width: number; height: number } => PNG.sync.read(readFileSync(path))
    const edit = (area: string, extra: string[] = [], target = relay): Promise<{ stdout: string; stderr: string }> =>
      run('node', [
        'dist/edit.mjs',
        '--image',
        frame,
        '--prompt',
        'Make the button green',
        `--area=${area}`,
        '--relay',
        target.url,
        '--token',
        target.token,
        ...extra
      ])
    const failure = (area: string, extra: string[] = []): Promise<{ code: number; stderr: string }> =>
      edit(area, extra).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error
      )
    /** Rows and columns of the image where the area and its 4 px feather lie. */
    const outsideBand = (x: number, y: number, area: readonly number[]): boolean =>
      x < area[0]! - 4 || x >= area[0]! + area[2]! + 4 || y < area[1]! - 4 || y >= area[1]! + area[3]! + 4

    let modelRunware: FakeRunware
    let modelRelay: RunningRelay
    const references: { width: number; height: number }[] = []
    /** "The model": its answer is the crop it was sent, at the output size, 6 levels lighter, with a dark bar across the middle. */
    const answerFor = ({ references: [reference], width, height }: RunwareAnswerInput): Uint8Array => {
      const crop = PNG.sync.read(Buffer.from(reference!))
      references.push({ width: crop.width, height: crop.height })
      const scaled = resampleRgba({ data: new Uint8ClampedArray(crop.data), width: crop.width, height: crop.height }, width, height)
      const png = new PNG({ width, height })
      for (let i = 0; i < scaled.data.length; i += 4) {
        const [x, y] = [(i / 4) % width, Math.floor(i / 4 / width)]
        const bar = Math.abs(x - width / 2) < width / 10 && Math.abs(y - height / 2) < height / 20
        for (let c = 0; c < 3; c += 1) png.data[i + c] = bar ? 20 : Math.min(255, scaled.data[i + c]! + 6)
        png.data[i + 3] = 255
      }
      return new Uint8Array(PNG.sync.write(png))
    }

    beforeAll(async () => {
      writeFileSync(frame, makePng(1600, 1000, 3))
      modelRunware = await startFakeRunwareAsync({ apiKey: 'rw-cli-area-key-0123456789', answerFor })
      modelRelay = await startRelayAsync({ RUNWARE_API_KEY: modelRunware.apiKey, RUNWARE_API_URL: modelRunware.url })
    })

    afterAll(async () => {
      await modelRelay.close()
      await modelRunware.close()
    })

    it('sends the crop around the area and writes the whole image with only the area changed', async () => {
      const out = join(dir, 'area.png')
      const { stdout } = await edit('600,400,300,150', ['--out', out, '--variants', '2', '--seed', '9'], modelRelay)
      // Context 96 a side (a quarter of 300 is less): 492×342, grown to 3:2 (513 wide, 493.5…1006.5) and
      // out to whole pixels (493…1007); under 1 MP, sent as it is, and answered at 3:2.
      expect(references).toEqual([
        { width: 514, height: 342 },
        { width: 514, height: 342 }
      ])
      expect(modelRunware.accepted).toHaveLength(1)
      expect(modelRunware.accepted[0]!.task).toMatchObject({ width: 1248, height: 832, outputFormat: 'PNG' })
      const input = pixelsOf(frame)
      for (const path of [out, join(dir, 'area-2.png')]) {
        expect(stdout).toContain(`${path}  1600×1000  seed`)
        const result = pixelsOf(path)
        expect([result.width, result.height]).toEqual([1600, 1000])
        let [outside, same, changed] = [0, 0, 0]
        for (let y = 0; y < 1000; y += 1) {
          for (let x = 0; x < 1600; x += 1) {
            const i = (y * 1600 + x) * 4
            const equal = result.data.readUInt32BE(i) === input.data.readUInt32BE(i)
            if (outsideBand(x, y, [600, 400, 300, 150])) [outside, same] = [outside + 1, same + (equal ? 1 : 0)]
            else if (!equal) changed += 1
          }
        }
        expect(same).toBe(outside)
        expect(outside).toBe(1600 * 1000 - 308 * 158)
        expect(changed).toBeGreaterThan(1000)
      }
      const drifts = [...stdout.matchAll(/drift r ([-+][\d.]+) g ([-+][\d.]+) b ([-+][\d.]+), residual ([\d.]+)/g)]
      expect(drifts).toHaveLength(2)
      for (const drift of drifts) {
        for (const channel of drift.slice(1, 4)) expect(Math.abs(Number(channel) - 6)).toBeLessThan(1)
        expect(Number(drift[4])).toBeLessThan(5)
      }
      expect(stdout).not.toContain('check the edges')
    })

    it('shrinks a crop over 1 MP before sending it', async () => {
      references.length = 0
      const out = join(dir, 'area-large.png')
      await edit('200,200,1200,600', ['--out', out], modelRelay)
      // Context 600 a side reaches past the image on every side: the crop is the whole 1600×1000,
      // at √(1 MP / 1.6 MP) = 0.79.
      expect(references).toEqual([{ width: 1265, height: 791 }])
      expect(pixelsOf(out)).toMatchObject({ width: 1600, height: 1000 })
    })

    it('warns when the model changed the surroundings too', async () => {
      // The plain fake answers with its own picture, nothing like the crop.
      const out = join(dir, 'area-unrelated.png')
      const { stdout } = await edit('600,400,300,150', ['--out', out])
      expect(stdout).toContain(`${out}  1600×1000`)
      expect(stdout).toContain('The model also changed the surroundings; check the edges.')
    })

    it.each([
      ['600,400,300', 'four numbers'],
      ['a,b,c,d', 'four numbers'],
      ['600,400,,150', 'four numbers'],
      ['1500,900,200,200', 'reaches outside the 1600×1000 image'],
      ['-1,0,100,100', 'reaches outside the 1600×1000 image'],
      ['10,10,7,100', 'too small to edit: make it at least 8×8 pixels'],
      ['10,10,100,7', 'too small to edit']
    ])('refuses --area %s without calling the relay', async (area, message) => {
      const before = runware.accepted.length
      const refused = await failure(area)
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain(message)
      expect(runware.accepted.length).toBe(before)
    })

    it.each([
      [['--image', 'another.png'], 'exactly one --image'],
      [['--aspect', '1:1'], 'leave out --aspect'],
      [['--format', 'jpeg'], 'writes PNG results']
    ])('refuses --area with %s', async (extra, message) => {
      const refused = await failure('600,400,300,150', extra)
      expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining(message) })
    })

    it('refuses --area on a JPEG', async () => {
      const jpeg = join(dir, 'frame.jpg')
      writeFileSync(jpeg, makeJpeg(400, 300))
      const refused = await run('node', ['dist/edit.mjs', '--image', jpeg, '--prompt', 'Make it blue', '--area', '10,10,100,100']).catch(
        (error: { code: number; stderr: string }) => error
      )
      expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('--area needs a PNG --image') })
    })
  })
})
