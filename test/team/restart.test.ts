import { describe, expect, it } from 'vitest'
import { openFileStoreAsync } from '../../relay/store/open-file-store-async'
import { EditJob, UsageResponse } from '../../shared/relay-api'
import { job as storedJob, entry as pendingEntry } from './store-contract'
import { ALICE, BOB, errorOf, itKeepsSecretsOut, startTeamRelayAsync, tempDir, type TeamRelay } from './team-harness'

const NOON = Date.UTC(2025, 5, 30, 12, 0, 0)
const DAY = '2025-06-30'

async function jobAsync(team: TeamRelay, id: string, token = ALICE.token): Promise<EditJob> {
  const response = await team.requestAsync(`/v1/edits/${id}`, {}, token)
  expect(response.status).toBe(200)
  return EditJob.parse(await response.json())
}

async function bytesAsync(team: TeamRelay, path: string, token = ALICE.token): Promise<Buffer> {
  const response = await team.requestAsync(path, {}, token)
  expect(response.status).toBe(200)
  return Buffer.from(await response.arrayBuffer())
}

describe('a restart', () => {
  it('keeps a paid result: the job and its image bytes can be fetched after the relay opens its store again', async () => {
    const dataDir = tempDir()
    const clock = { now: NOON }
    const first = await startTeamRelayAsync({ dataDir, now: () => clock.now, fake: { costPerImage: 0.06 } })
    const id = await first.createEditAsync({ prompt: 'Make the sky purple', numImages: 2, seed: 7 })
    const before = await first.waitForEndAsync(id)
    expect(before.status).toBe('succeeded')
    const images = await Promise.all(before.images.map((image) => bytesAsync(first, image.url)))
    const usage = await (await first.requestAsync('/v1/usage', {}, ALICE.token)).json()
    await first.close()

    clock.now += 10 * 60_000
    const second = await startTeamRelayAsync({ dataDir, now: () => clock.now, runware: first.runware })
    const after = await jobAsync(second, id)
    expect({ ...after, expiresInSeconds: 0 }).toEqual({ ...before, expiresInSeconds: 0 })
    expect(after.expiresInSeconds).toBe(before.expiresInSeconds - 600)
    for (const [index, image] of after.images.entries()) {
      const response = await second.requestAsync(image.url, {}, ALICE.token)
      expect(response.headers.get('content-type')).toBe(image.contentType)
      expect(Buffer.from(await response.arrayBuffer()).equals(images[index]!)).toBe(true)
    }
    // Still only its owner's, and the ledger is the same.
    expect((await second.requestAsync(`/v1/edits/${id}`, {}, BOB.token)).status).toBe(404)
    expect(UsageResponse.parse(await (await second.requestAsync('/v1/usage', {}, ALICE.token)).json())).toEqual(usage)
    expect((await second.store.usageEntriesAsync(DAY))[0]).toMatchObject({ jobId: id, outcome: 'succeeded', costUsd: 0.12 })
  })

  it('forgets a result once it expires, restart or not', async () => {
    const dataDir = tempDir()
    const clock = { now: NOON }
    const first = await startTeamRelayAsync({ dataDir, now: () => clock.now, env: { RESULT_TTL_SECONDS: '60' } })
    const id = await first.createEditAsync()
    await first.waitForEndAsync(id)
    await first.close()

    clock.now += 61_000
    const second = await startTeamRelayAsync({ dataDir, now: () => clock.now, runware: first.runware, env: { RESULT_TTL_SECONDS: '60' } })
    expect((await second.requestAsync(`/v1/edits/${id}`, {}, ALICE.token)).status).toBe(404)
    expect(await second.relay.jobs.sweepAsync()).toBe(1)
    expect(await second.store.getImageAsync(id, 0)).toBeUndefined()
    // The ledger keeps what was spent.
    expect((await second.store.usageEntriesAsync(DAY))[0]).toMatchObject({ jobId: id, outcome: 'succeeded' })
  })

  it('records an edit still running at shutdown as failed (interrupted), releases its reservation, and says so after the restart', async () => {
    const dataDir = tempDir()
    const first = await startTeamRelayAsync({ dataDir, now: () => NOON, fake: { latencyMs: 60_000 } })
    const id = await first.createEditAsync()
    const reserved = UsageResponse.parse(await (await first.requestAsync('/v1/usage', {}, ALICE.token)).json())
    expect(reserved.owners[0]).toMatchObject({ reservedUsd: 0.08 })
    await first.close(0)
    expect(first.logs.find((line) => line.event === 'job.interrupted')?.fields).toMatchObject({ jobId: id, reason: 'shutdown' })

    const second = await startTeamRelayAsync({ dataDir, now: () => NOON, runware: first.runware })
    const job = await jobAsync(second, id)
    expect(job).toMatchObject({
      status: 'failed',
      error: {
        code: 'interrupted',
        message: 'The relay was stopped before this edit finished, so its result was lost. Run the edit again.'
      },
      images: []
    })
    expect((await second.store.usageEntriesAsync(DAY))[0]).toMatchObject({
      jobId: id,
      outcome: 'failed',
      costUsd: 0,
      errorCode: 'interrupted'
    })
    expect(UsageResponse.parse(await (await second.requestAsync('/v1/usage', {}, ALICE.token)).json()).owners[0]).toMatchObject({
      edits: 1,
      spentUsd: 0,
      reservedUsd: 0
    })
  })

  it('lets a running edit finish within the grace time of a shutdown', async () => {
    const dataDir = tempDir()
    const first = await startTeamRelayAsync({ dataDir, now: () => NOON, fake: { latencyMs: 300 } })
    const id = await first.createEditAsync()
    await first.close(30_000)
    const second = await startTeamRelayAsync({ dataDir, now: () => NOON, runware: first.runware })
    expect((await jobAsync(second, id)).status).toBe('succeeded')
    expect((await second.requestAsync(`/v1/edits/${id}/images/0`, {}, ALICE.token)).status).toBe(200)
  })

  it('takes no new edit while it stops: 503 interrupted with Retry-After', async () => {
    const team = await startTeamRelayAsync({ now: () => NOON, fake: { latencyMs: 60_000 } })
    await team.createEditAsync()
    const stopping = team.relay.jobs.shutdownAsync(60_000)
    const refused = await team.postEditAsync()
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('30')
    expect(await errorOf(refused)).toEqual({
      code: 'interrupted',
      message: 'The relay is restarting and takes no new edits. Try again in a minute.'
    })
    // A second signal stops the wait: the running edit is recorded as interrupted.
    expect(await team.relay.jobs.shutdownAsync(0)).toEqual({ finished: 0, interrupted: 1 })
    await stopping
  })

  it('records, when it starts, an edit a crash cut off (left queued or running in the store), and settles a ledger entry left pending', async () => {
    const dataDir = tempDir()
    const seeded = await openFileStoreAsync(dataDir)
    await seeded.putJobAsync(storedJob('cut-off', { owner: 'alice', status: 'running' }))
    await seeded.reserveUsageAsync(pendingEntry('cut-off'), null)
    // A job that ended but whose settlement the crash came before.
    await seeded.putJobAsync(
      storedJob('ended', {
        owner: 'alice',
        status: 'succeeded',
        costUsd: 0.05,
        images: [{ contentType: 'image/png', width: 1, height: 1, byteLength: 1 }]
      })
    )
    await seeded.putImagesAsync('ended', [new Uint8Array([1])])
    await seeded.reserveUsageAsync(pendingEntry('ended'), null)
    await seeded.closeAsync()

    const team = await startTeamRelayAsync({ dataDir, now: () => NOON })
    expect(await jobAsync(team, 'cut-off')).toMatchObject({
      status: 'failed',
      error: {
        code: 'interrupted',
        message: 'The relay restarted while this edit was running, so its result was lost. Run the edit again.'
      }
    })
    const entries = await team.store.usageEntriesAsync(DAY)
    expect(entries.find((item) => item.jobId === 'cut-off')).toMatchObject({ outcome: 'failed', costUsd: 0, errorCode: 'interrupted' })
    expect(entries.find((item) => item.jobId === 'ended')).toMatchObject({ outcome: 'succeeded', costUsd: 0.05, delivered: 1 })
    expect(team.logs.find((line) => line.event === 'relay.recovered')?.fields).toEqual({ interrupted: 1, settled: 1 })
  })
})

itKeepsSecretsOut()
