/**
 * Child process: fal's official proxy, @fal-ai/server-proxy, through its Hono adapter on
 * @hono/node-server, configured as its README asks for production: the endpoints it may call, a
 * check on the caller (a bearer token, as the relay has), and the key from the server's side.
 * Only the allowed URL pattern differs: 127.0.0.1, where the fake fal host listens.
 */
import { serve } from '@hono/node-server'
import { createRouteHandler } from '@fal-ai/server-proxy/hono'
import { Hono } from 'hono'

const token = process.env.BENCH_PROXY_TOKEN ?? ''
const falKey = process.env.FAL_KEY ?? ''
const app = new Hono()
const handler = createRouteHandler({
  allowedUrlPatterns: ['127.0.0.1:*/**'],
  allowedEndpoints: ['fal-ai/flux-pro/kontext/max'],
  allowUnauthorizedRequests: false,
  isAuthenticated: async (behavior) => behavior.getHeader('authorization') === `Bearer ${token}`,
  resolveFalAuth: async () => `Key ${falKey}`
})
app.all('/api/fal/proxy', handler)
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  process.send!({ type: 'ready', url: `http://127.0.0.1:${info.port}` })
})
process.on('message', (message: { type: string }) => {
  if (message.type === 'gc') {
    ;(globalThis as { gc?: () => void }).gc?.()
    process.send!({ type: 'gc' })
  }
})
process.on('disconnect', () => process.exit(0))
