/**
 * Child process of bench/polling-delay-process.ts: starts and stops the strict test fakes of the
 * polling hosts on request. The fakes render a real megapixel image for every job; here, that work
 * never delays the relay's timers or the measurements, which run in the parent.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Server } from 'node:net'
import { startFakeBflAsync } from '../test/fakes/bfl-server'
import { startFakeComfyuiAsync } from '../test/fakes/comfyui-server'
import { startFakeFalAsync } from '../test/fakes/fal-server'
import { startFakeReplicateAsync } from '../test/fakes/replicate-server'
import { startFakeRunflowAsync } from '../test/fakes/runflow-server'
import { startFakeRunwareAsync } from '../test/fakes/runware-server'

export type PollingHost = 'fal' | 'bfl' | 'replicate' | 'runflow' | 'runware-async' | 'comfyui'

interface Fake {
  env: Record<string, string>
  close(): Promise<void>
}

/** Each host's fake with this latency, and the relay variables that point at it. */
async function startFakeAsync(host: PollingHost, latencyMs: number): Promise<Fake> {
  switch (host) {
    case 'fal': {
      const fake = await startFakeFalAsync({ key: `fal-id-${randomUUID()}:fal-secret`, runMs: latencyMs })
      return { env: { FAL_KEY: fake.key, FAL_QUEUE_URL: fake.url, FAL_STORAGE_URL: fake.url }, close: () => fake.close() }
    }
    case 'bfl': {
      const fake = await startFakeBflAsync({ apiKey: `bfl-${randomUUID()}`, latencyMs })
      return { env: { BFL_API_KEY: fake.apiKey, BFL_API_URL: fake.url }, close: () => fake.close() }
    }
    case 'replicate': {
      const fake = await startFakeReplicateAsync({ latencyMs })
      return { env: { REPLICATE_API_TOKEN: fake.token, REPLICATE_API_URL: fake.url }, close: () => fake.close() }
    }
    case 'runflow': {
      const fake = await startFakeRunflowAsync({ apiKey: `rf_live_${randomUUID()}`, latencyMs })
      return { env: { RUNFLOW_API_KEY: fake.apiKey, RUNFLOW_API_URL: fake.url }, close: () => fake.close() }
    }
    case 'runware-async': {
      const fake = await startFakeRunwareAsync({ apiKey: `rw-${randomUUID()}`, latencyMs })
      return { env: { RUNWARE_API_KEY: fake.apiKey, RUNWARE_API_URL: fake.url, RUNWARE_DELIVERY: 'async' }, close: () => fake.close() }
    }
    case 'comfyui': {
      const fake = await startFakeComfyuiAsync({ latencyMs })
      return { env: { COMFYUI_URL: fake.url }, close: () => fake.close() }
    }
  }
}

/** A request a fake's server received: when it arrived and when its answer was handed to the kernel (epoch ms). */
export interface FakeRequestTimes {
  method: string
  path: string
  arrived: number
  answered: number
}

export type FakesRequest = { type: 'start'; id: string; host: PollingHost; latencyMs: number } | { type: 'close'; id: string }
export type FakesAnswer =
  | { type: 'started'; id: string; env: Record<string, string> }
  | { type: 'closed'; id: string; requests: FakeRequestTimes[] }
  | { type: 'error'; id: string; error: string }

/** Every HTTP server in this process (the fakes') notes when each request arrived and was answered, by port. */
const requestsByPort = new Map<number, FakeRequestTimes[]>()
const listen = Server.prototype.listen
Server.prototype.listen = function (this: Server, ...args: unknown[]) {
  this.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const arrived = performance.timeOrigin + performance.now()
    response.on('finish', () => {
      const address = this.address()
      if (address === null || typeof address !== 'object') return
      const list = requestsByPort.get(address.port) ?? []
      list.push({ method: request.method ?? 'GET', path: (request.url ?? '/').split('?')[0]!, arrived, answered: performance.timeOrigin + performance.now() })
      requestsByPort.set(address.port, list)
    })
  })
  return (listen as (...rest: unknown[]) => Server).apply(this, args)
} as typeof Server.prototype.listen

/** The port of the fake's main server (the one its base URL variable names). */
function portOf(env: Record<string, string>): number {
  const url = Object.entries(env).find(([name]) => /_URL$/.test(name))?.[1] ?? ''
  return Number(new URL(url).port)
}

if (process.send !== undefined && process.env.BENCH_POLLING_FAKES !== undefined) {
  const fakes = new Map<string, Fake>()
  process.on('message', (message: FakesRequest) => {
    void (async () => {
      try {
        if (message.type === 'start') {
          const fake = await startFakeAsync(message.host, message.latencyMs)
          fakes.set(message.id, fake)
          process.send!({ type: 'started', id: message.id, env: fake.env } satisfies FakesAnswer)
        } else {
          const fake = fakes.get(message.id)
          await fake?.close()
          fakes.delete(message.id)
          const port = fake === undefined ? 0 : portOf(fake.env)
          const requests = requestsByPort.get(port) ?? []
          requestsByPort.delete(port)
          process.send!({ type: 'closed', id: message.id, requests } satisfies FakesAnswer)
        }
      } catch (error) {
        process.send!({ type: 'error', id: message.id, error: String(error) } satisfies FakesAnswer)
      }
    })()
  })
  process.on('disconnect', () => process.exit(0))
  process.send({ type: 'ready' })
}
