import { describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import { readCappedAsync } from '../../../relay/providers/shared/read-capped-async'

const signal = new AbortController().signal

interface Served {
  response: Response
  /** How many chunks the reader pulled, and whether the body was canceled. */
  state: { pulled: number; canceled: boolean }
}

function served(
  chunks: Uint8Array[],
  options: { failWith?: unknown; headers?: Record<string, string>; cancelFails?: boolean } = {}
): Served {
  const state = { pulled: 0, canceled: false }
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (state.pulled < chunks.length) controller.enqueue(chunks[state.pulled++])
        else if (options.failWith !== undefined) controller.error(options.failWith)
        else controller.close()
      },
      cancel() {
        state.canceled = true
        if (options.cancelFails === true) throw new Error('cancel failed')
      }
    },
    { highWaterMark: 0 }
  )
  return { response: new Response(body, { headers: options.headers ?? {} }), state }
}

const overCap = (declared: number | undefined): AppError =>
  new AppError('provider_error', undefined, { detail: `over: ${declared === undefined ? 'streamed' : declared}` })

describe('readCappedAsync', () => {
  it('reads every chunk and counts the bytes', async () => {
    const { response } = served([new Uint8Array([1, 2]), new Uint8Array([3])])
    expect(await readCappedAsync(response, 10, signal, overCap)).toEqual({
      ok: true,
      chunks: [new Uint8Array([1, 2]), new Uint8Array([3])],
      total: 3
    })
  })

  it('reads a response without a body as empty', async () => {
    expect(await readCappedAsync(new Response(null), 10, signal, overCap)).toEqual({ ok: true, chunks: [], total: 0 })
  })

  it('reads a body of exactly the cap', async () => {
    const { response, state } = served([new Uint8Array(2), new Uint8Array(2)], { headers: { 'content-length': '4' } })
    expect(await readCappedAsync(response, 4, signal, overCap)).toMatchObject({ ok: true, total: 4 })
    expect(state.canceled).toBe(false)
  })

  it('refuses a declared length one byte over the cap before reading, and cancels the body', async () => {
    const { response, state } = served([new Uint8Array(5)], { headers: { 'content-length': '5' } })
    await expect(readCappedAsync(response, 4, signal, overCap)).rejects.toMatchObject({ detail: 'over: 5' })
    expect(state).toEqual({ pulled: 0, canceled: true })
  })

  it('refuses a declared length over the cap on a response without a body', async () => {
    const response = new Response(null, { headers: { 'content-length': '5' } })
    await expect(readCappedAsync(response, 4, signal, overCap)).rejects.toMatchObject({ detail: 'over: 5' })
  })

  it('still refuses a declared length over the cap when canceling the body fails', async () => {
    const { response } = served([new Uint8Array(5)], { headers: { 'content-length': '5' }, cancelFails: true })
    await expect(readCappedAsync(response, 4, signal, overCap)).rejects.toMatchObject({ detail: 'over: 5' })
  })

  it('ignores a content-length that is not a finite number and counts the bytes instead', async () => {
    for (const length of ['Infinity', 'lots']) {
      const { response } = served([new Uint8Array(3)], { headers: { 'content-length': length } })
      expect(await readCappedAsync(response, 4, signal, overCap)).toMatchObject({ ok: true, total: 3 })
    }
  })

  it('stops at the chunk that passes the cap, cancels the rest, and says it was streamed', async () => {
    const { response, state } = served([new Uint8Array(3), new Uint8Array(2), new Uint8Array(1)])
    await expect(readCappedAsync(response, 4, signal, overCap)).rejects.toMatchObject({ detail: 'over: streamed' })
    expect(state).toEqual({ pulled: 2, canceled: true })
  })

  it('still refuses a streamed body over the cap when canceling it fails', async () => {
    const { response } = served([new Uint8Array(5)], { cancelFails: true })
    await expect(readCappedAsync(response, 4, signal, overCap)).rejects.toMatchObject({ detail: 'over: streamed' })
  })

  it('reports a body cut off mid-way with its error', async () => {
    const cut = new TypeError('terminated')
    const { response } = served([new Uint8Array(1)], { failWith: cut })
    expect(await readCappedAsync(response, 4, signal, overCap)).toEqual({ ok: false, error: cut })
  })

  it("rethrows the signal's reason when the body failed after an abort", async () => {
    const controller = new AbortController()
    const reason = new AppError('canceled')
    controller.abort(reason)
    const { response } = served([], { failWith: new TypeError('terminated') })
    await expect(readCappedAsync(response, 4, controller.signal, overCap)).rejects.toBe(reason)
  })

  it('passes on an AppError the body failed with', async () => {
    const error = new AppError('timeout')
    const { response } = served([], { failWith: error })
    await expect(readCappedAsync(response, 4, signal, overCap)).rejects.toBe(error)
  })
})
