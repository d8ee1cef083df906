/**
 * An internal service the relay must never reach: a plain HTTP server on 127.0.0.1 that counts
 * every TCP connection (an https attempt is a connection too, even though the TLS handshake then
 * fails) and answers every request with a real PNG, so a relay that does reach it would store the
 * internal answer as a designer's result.
 */
import { createServer } from 'node:http'
import { closeServerAsync, listenOnLoopbackAsync } from '../fakes/fake-http'
import { makePng } from '../fakes/make-image'

export interface Canary {
  /** http://127.0.0.1:PORT */
  url: string
  port: number
  /** TCP connections accepted so far. */
  connections(): number
  close(): Promise<void>
}

export const CANARY_PNG = makePng(8, 8, 99)

export async function startCanaryAsync(): Promise<Canary> {
  let connections = 0
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'image/png', 'content-length': String(CANARY_PNG.byteLength) })
    response.end(CANARY_PNG)
  })
  server.on('connection', () => {
    connections += 1
  })
  const url = await listenOnLoopbackAsync(server)
  return { url, port: Number(new URL(url).port), connections: () => connections, close: () => closeServerAsync(server) }
}
