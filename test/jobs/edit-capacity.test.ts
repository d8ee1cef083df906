import { describe, expect, it } from 'vitest'
import { createEditCapacity } from '../../relay/jobs/edit-capacity'
import { AppError } from '../../shared/errors'
import type { LogLine } from './jobs-setup'

const MB = 1048576

function setup(maxRunningEdits = 10, maxInflightBytes = 100) {
  const logs: LogLine[] = []
  const capacity = createEditCapacity({ maxRunningEdits, maxInflightBytes }, (event, fields) => void logs.push({ event, fields }))
  return { capacity, logs }
}

function refusal(run: () => unknown): AppError {
  try {
    run()
  } catch (error) {
    if (error instanceof AppError) return error
    throw error
  }
  throw new Error('not refused')
}

describe('running edits per owner', () => {
  it('takes as many as the owner may run, then answers rate_limited with Retry-After 10 and logs it', () => {
    const { capacity, logs } = setup()
    capacity.hold('alice', 2, 0)
    capacity.hold('alice', 2, 0)
    const error = refusal(() => capacity.hold('alice', 2, 0))
    expect(error).toMatchObject({
      code: 'rate_limited',
      retryAfterSeconds: 10,
      message: 'You have 2 edits running, the most this access token may run at once (2). Wait for one to finish, then try again.'
    })
    expect(logs).toEqual([{ event: 'capacity.owner_full', fields: { owner: 'alice', running: 2, maxRunningEdits: 2 } }])
    expect(capacity.snapshot()).toEqual({ running: 2, inflightBytes: 0, byOwner: { alice: 2 } })
  })

  it('says “1 edit” for one', () => {
    const { capacity } = setup()
    capacity.hold('alice', 1, 0)
    expect(refusal(() => capacity.hold('alice', 1, 0)).message).toMatch(/^You have 1 edit running, /)
  })

  it('counts each owner apart', () => {
    const { capacity } = setup()
    capacity.hold('alice', 1, 0)
    expect(() => capacity.hold('bob', 1, 0)).not.toThrow()
    expect(capacity.snapshot().byOwner).toEqual({ alice: 1, bob: 1 })
  })

  it('checks the owner’s cap before the relay’s', () => {
    const { capacity } = setup(1)
    capacity.hold('alice', 1, 0)
    expect(refusal(() => capacity.hold('alice', 1, 0)).code).toBe('rate_limited')
  })
})

describe('running edits per relay', () => {
  it('takes as many as the relay runs, then answers relay_busy with Retry-After 15 and logs it', () => {
    const { capacity, logs } = setup(2)
    capacity.hold('alice', 5, 0)
    capacity.hold('bob', 5, 0)
    const error = refusal(() => capacity.hold('carol', 5, 0))
    expect(error).toMatchObject({
      code: 'relay_busy',
      retryAfterSeconds: 15,
      message: 'The relay is busy: it runs at most 2 edits at once. Try again in 15 seconds.'
    })
    expect(logs).toEqual([{ event: 'capacity.relay_full', fields: { owner: 'carol', running: 2, maxRunningEdits: 2 } }])
  })

  it('checks the relay’s running edits before the bytes', () => {
    const { capacity } = setup(1, 10)
    capacity.hold('alice', 5, 10)
    expect(refusal(() => capacity.hold('bob', 5, 10)).message).toMatch(/runs at most 1 edits/)
  })
})

describe('bytes in flight', () => {
  it('lets an edit alone hold more than the cap', () => {
    const { capacity } = setup(10, 100)
    capacity.hold('alice', 5, 150)
    expect(capacity.snapshot()).toEqual({ running: 1, inflightBytes: 150, byOwner: { alice: 1 } })
  })

  it('takes an edit beside others up to the cap exactly, and refuses one byte more', () => {
    const { capacity, logs } = setup(10, 100)
    capacity.hold('alice', 5, 60)
    capacity.hold('bob', 5, 40)
    expect(capacity.snapshot().inflightBytes).toBe(100)
    const error = refusal(() => capacity.hold('carol', 5, 1))
    expect(error).toMatchObject({ code: 'relay_busy', retryAfterSeconds: 15 })
    expect(logs).toEqual([
      { event: 'capacity.bytes_full', fields: { owner: 'carol', inflightBytes: 100, requestBytes: 1, maxInflightBytes: 100 } }
    ])
    expect(capacity.snapshot()).toEqual({ running: 2, inflightBytes: 100, byOwner: { alice: 1, bob: 1 } })
  })

  it('says how many MB are held and the most it takes', () => {
    const { capacity } = setup(10, 3 * MB)
    capacity.hold('alice', 5, 2.4 * MB)
    expect(refusal(() => capacity.hold('bob', 5, MB)).message).toBe(
      'The relay is busy: it holds 2 MB of images for running edits, and takes at most 3 MB. Try again in 15 seconds.'
    )
  })

  it('an edit holding 0 bytes beside one over the cap still fits', () => {
    const { capacity } = setup(10, 100)
    capacity.hold('alice', 5, 100)
    expect(() => capacity.hold('bob', 5, 0)).not.toThrow()
  })
})

describe('a hold', () => {
  it('grows up to the cap beside others and refuses one byte more, keeping what it held', () => {
    const { capacity } = setup(10, 100)
    capacity.hold('alice', 5, 60)
    const hold = capacity.hold('bob', 5, 30)
    hold.resize(40)
    expect(hold.bytes).toBe(40)
    expect(capacity.snapshot().inflightBytes).toBe(100)
    expect(refusal(() => hold.resize(41))).toMatchObject({ code: 'relay_busy' })
    expect(hold.bytes).toBe(40)
    expect(capacity.snapshot().inflightBytes).toBe(100)
  })

  it('grows past the cap when alone, and shrinks without a check', () => {
    const { capacity } = setup(10, 100)
    const hold = capacity.hold('alice', 5, 10)
    hold.resize(1000)
    expect(capacity.snapshot().inflightBytes).toBe(1000)
    hold.resize(10)
    capacity.hold('bob', 5, 90)
    hold.resize(5)
    expect(hold.bytes).toBe(5)
    expect(capacity.snapshot().inflightBytes).toBe(95)
  })

  it('is not checked when it keeps its size, even beside more than the cap', () => {
    const { capacity } = setup(10, 100)
    const empty = capacity.hold('alice', 5, 0)
    const big = capacity.hold('bob', 5, 0)
    // Beside a hold of 0 bytes, one alone may still grow past the cap.
    big.resize(150)
    expect(() => empty.resize(0)).not.toThrow()
    expect(capacity.snapshot().inflightBytes).toBe(150)
  })

  it('frees its place and bytes once, however often it is released', () => {
    const { capacity } = setup(10, 100)
    const first = capacity.hold('alice', 5, 30)
    capacity.hold('alice', 5, 20)
    first.release()
    expect(capacity.snapshot()).toEqual({ running: 1, inflightBytes: 20, byOwner: { alice: 1 } })
    first.release()
    expect(capacity.snapshot()).toEqual({ running: 1, inflightBytes: 20, byOwner: { alice: 1 } })
  })

  it('leaves no owner behind once its last hold is released', () => {
    const { capacity } = setup()
    const hold = capacity.hold('alice', 5, 7)
    expect(hold.owner).toBe('alice')
    hold.release()
    expect(capacity.snapshot()).toEqual({ running: 0, inflightBytes: 0, byOwner: {} })
  })

  it('is not resized once released', () => {
    const { capacity } = setup()
    const hold = capacity.hold('alice', 5, 7)
    hold.release()
    hold.resize(50)
    expect(capacity.snapshot().inflightBytes).toBe(0)
  })

  it('is freed by abandon unless a job adopted it', () => {
    const { capacity } = setup()
    capacity.hold('alice', 5, 7).abandon()
    expect(capacity.snapshot().running).toBe(0)
    const adopted = capacity.hold('alice', 5, 7)
    adopted.adopt()
    adopted.abandon()
    expect(capacity.snapshot()).toEqual({ running: 1, inflightBytes: 7, byOwner: { alice: 1 } })
    adopted.release()
    expect(capacity.snapshot().running).toBe(0)
  })
})
