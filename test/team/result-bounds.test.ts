/**
 * Results are bounded before they are kept (finding 4): no more images than were asked for, a
 * reported cost within [0, 10 × the catalogue price] (else the catalogue price, logged as a host
 * anomaly), and images Figma can place (≤ 4096 px a side, ≤ 4096×4096 pixels), checked centrally
 * in the jobs layer after the host answers, whatever the host. The host here is an adapter the
 * test controls, returning real image bytes.
 */
import { crc32, deflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { createEditJobs } from '../../relay/jobs/edit-jobs'
import type { ProviderResult } from '../../relay/providers/provider'
import { createMemoryStore } from '../../relay/store/memory-store'
import { offerOf } from '../../shared/models'
import { EditRequest } from '../../shared/relay-api'
import { makePng } from '../fakes/make-image'

const NOON = Date.UTC(2025, 5, 30, 12, 0, 0)
const DAY = '2025-06-30'
const REFERENCE = { bytes: makePng(64, 36), contentType: 'image/png' as const, width: 64, height: 36 }

function setup(answer: ProviderResult) {
  const store = createMemoryStore()
  const logs: Array<{ event: string; fields: Record<string, unknown> }> = []
  const jobs = createEditJobs({
    store,
    providers: { runware: { id: 'runware', editAsync: async () => answer } },
    now: () => NOON,
    randomUUID: () => 'job-1',
    log: (event, fields) => logs.push({ event, fields }),
    resultTtlMs: 60_000,
    providerTimeoutMs: 60_000
  })
  const runAsync = async (numImages = 1) => {
    const job = await jobs.createAsync({
      account: { owner: 'alice', dailyBudgetUsd: 5 },
      provider: 'runware',
      model: 'kontext-max',
      offer: offerOf('runware', 'kontext-max')!,
      request: EditRequest.parse({ prompt: 'Make the sky purple', numImages }),
      references: [REFERENCE]
    })
    await jobs.settleAsync()
    const ended = (await store.getJobAsync(job.id))!
    const entry = (await store.usageEntriesAsync(DAY)).find((item) => item.jobId === job.id)!
    return { ended, entry }
  }
  return { store, logs, runAsync }
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body) >>> 0)
  return Buffer.concat([length, body, crc])
}

/** A complete, valid grayscale PNG of width × height, all black: tiny on disk, huge once decoded. */
function blackPng(width: number, height: number): Uint8Array {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8 // bit depth
  header[9] = 0 // grayscale
  const rows = Buffer.alloc(height * (width + 1)) // filter byte 0 and black pixels on every row
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return new Uint8Array(
    Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))])
  )
}

const images = (count: number) => Array.from({ length: count }, (_, index) => ({ bytes: makePng(48, 32, index + 1), seed: index }))

describe('results-bounds: what a host answers is bounded before it is kept', () => {
  it('a host answering 50 images for one variant: one kept and billed, the anomaly logged', async () => {
    const { runAsync, store, logs } = setup({ images: images(50), costUsd: 0.08, hostJobId: 'h' })
    const { ended, entry } = await runAsync(1)
    console.log(`results-bounds: 50 images for 1 variant → ${ended.images.length} kept`)
    expect(ended).toMatchObject({ status: 'succeeded' })
    expect(ended.images).toHaveLength(1)
    expect(await store.getImageAsync('job-1', 1)).toBeUndefined()
    expect(entry).toMatchObject({ outcome: 'succeeded', delivered: 1, costUsd: 0.08 })
    expect(logs).toContainEqual({ event: 'job.host_anomaly', fields: { kind: 'extra_images', asked: 1, received: 50 } })
  })

  it('a reported cost of 1e9 USD: settled at the catalogue price and logged as a host anomaly', async () => {
    const { runAsync, logs } = setup({ images: images(2), costUsd: 1e9, hostJobId: 'h' })
    const { ended, entry } = await runAsync(2)
    console.log(`results-bounds: a reported cost of $1e9 → ledger $${entry.costUsd}`)
    expect(entry).toMatchObject({ outcome: 'succeeded', costUsd: 0.16, costEstimated: true, delivered: 2 })
    expect(ended).toMatchObject({ costUsd: 0.16, costEstimated: true })
    expect(logs.find((line) => line.event === 'job.host_anomaly')?.fields).toMatchObject({ kind: 'cost_out_of_range', reportedUsd: 1e9 })
  })

  it.each([
    ['a negative cost', -1],
    ['a cost that is not a number', Number.NaN]
  ])('%s: settled at the catalogue price', async (_, costUsd) => {
    const { runAsync } = setup({ images: images(1), costUsd, hostJobId: 'h' })
    expect((await runAsync(1)).entry).toMatchObject({ costUsd: 0.08, costEstimated: true })
  })

  it('a cost up to ten times the catalogue price is the host’s figure', async () => {
    const { runAsync } = setup({ images: images(1), costUsd: 0.8, hostJobId: 'h' })
    expect((await runAsync(1)).entry).toMatchObject({ costUsd: 0.8, costEstimated: false })
  })

  it('a 7000×7000 result (a decompression bomb of a few KB) is refused as provider_error and not kept; the host’s cost is still charged', async () => {
    const bomb = blackPng(7000, 7000)
    const { runAsync, store } = setup({ images: [{ bytes: bomb, seed: 1 }], costUsd: 0.08, hostJobId: 'h' })
    const { ended, entry } = await runAsync(1)
    console.log(`results-bounds: a 7000×7000 result of ${Math.round(bomb.length / 1024)} KB → ${ended.status} ${ended.error?.code}`)
    expect(ended).toMatchObject({ status: 'failed', error: { code: 'provider_error' }, images: [] })
    expect(await store.getImageAsync('job-1', 0)).toBeUndefined()
    expect(entry).toMatchObject({ outcome: 'failed', costUsd: 0.08 })
  }, 30_000)

  it('a result over 4096 px on a side (5000×800, under the pixel cap) is refused: Figma cannot place it', async () => {
    const { runAsync } = setup({ images: [{ bytes: blackPng(5000, 800), seed: 1 }], costUsd: 0.08, hostJobId: 'h' })
    expect((await runAsync(1)).ended).toMatchObject({ status: 'failed', error: { code: 'provider_error' } })
  })

  it('a 4096×4096 result is kept', async () => {
    const { runAsync } = setup({ images: [{ bytes: blackPng(4096, 4096), seed: 1 }], costUsd: 0.08, hostJobId: 'h' })
    expect((await runAsync(1)).ended).toMatchObject({ status: 'succeeded', images: [{ width: 4096, height: 4096 }] })
  }, 30_000)
})
