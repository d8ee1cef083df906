/**
 * Child process of bench/polling-delay-process.ts: starts and stops the strict test fakes of the
 * polling hosts on request. The fakes render a real megapixel image for every job; here, that work
 * never delays the relay's timers or the measurements, which run in the parent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Server } from 'node:net'
import { POLLING_HOSTS, type PollingHost } from './polling-hosts'
import { FAKE_HOSTS } from '../test/fakes/fake-hosts'

interface Fake {
  env: Record<string, string>
  close(): Promise<void>
}

/** Each host's fake (test/fakes/fake-hosts.ts) with this latency, and the relay variables that point at it. */
async function startFakeAsync(host: PollingHost, latencyMs: number): Promise<Fake> {
  const { provider, env } = POLLING_HOSTS[host]
  const fake = await FAKE_HOSTS[provider]({ latencyMs })
  return { env: { ...fake.env, ...env }, close: () => fake.close() }
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
      list.push({
        method: request.method ?? 'GET',
        path: (request.url ?? '/').split('?')[0]!,
        arrived,
        answered: performance.timeOrigin + performance.now()
      })
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
