/**
 * Loaded with `--import` into the real relay, `dist/relay.mjs` (what `npm start` runs), when the
 * benchmark starts it as a child process. It changes nothing the relay does; it only watches:
 * - tells the benchmark the port the relay listens on (PORT=0 picks a free one);
 * - counts the bytes the relay's sockets read and write (HTTP headers and bodies as they cross the
 *   wire), on request;
 * - runs a GC on request (the child runs with --expose-gc), before a memory baseline.
 */
import { Server, type Socket } from 'node:net'

let closedRead = 0
let closedWritten = 0
const live = new Set<Socket>()
const listen = Server.prototype.listen

Server.prototype.listen = function (this: Server, ...args: unknown[]) {
  this.on('connection', (socket: Socket) => {
    live.add(socket)
    socket.on('close', () => {
      closedRead += socket.bytesRead
      closedWritten += socket.bytesWritten
      live.delete(socket)
    })
  })
  this.once('listening', () => {
    const address = this.address()
    if (address !== null && typeof address === 'object') process.send?.({ type: 'ready', url: `http://127.0.0.1:${address.port}` })
  })
  return (listen as (...rest: unknown[]) => Server).apply(this, args)
} as typeof Server.prototype.listen

process.on('message', (message: { type: string }) => {
  if (message.type === 'bytes') {
    let read = closedRead
    let written = closedWritten
    for (const socket of live) {
      read += socket.bytesRead
      written += socket.bytesWritten
    }
    process.send?.({ type: 'bytes', read, written })
  }
  if (message.type === 'gc') {
    ;(globalThis as { gc?: () => void }).gc?.()
    process.send?.({ type: 'gc' })
  }
})
process.on('disconnect', () => process.exit(0))
