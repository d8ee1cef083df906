import { serve } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { parseRelayConfig, type RelayConfig } from '../../relay/config'
import { createRelay } from '../../relay/relay'

export interface RunningRelay {
  url: string
  token: string
  config: RelayConfig
  logs: string[]
  relay: ReturnType<typeof createRelay>
  close(): Promise<void>
}

export const TEST_TOKEN = 'test-token-0123456789abcdef'

/** The real relay over real HTTP on 127.0.0.1, as `npm start` runs it, with logs captured. */
export async function startRelayAsync(env: Record<string, string>, overrides: Partial<RelayConfig> = {}): Promise<RunningRelay> {
  const config = { ...parseRelayConfig({ RELAY_TOKENS: TEST_TOKEN, ...env }), ...overrides }
  const logs: string[] = []
  const relay = createRelay(config, { fetch, log: (event, fields) => logs.push(JSON.stringify({ event, ...fields })) })
  const server = serve({ fetch: relay.app.fetch, hostname: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    token: TEST_TOKEN,
    config,
    logs,
    relay,
    async close() {
      await relay.jobs.settleAsync()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
