import { AppError } from '../../shared/errors'

/** Running edits one owner may have when its token sets no `maxRunningEdits` (RELAY_TOKENS tokens). */
export const DEFAULT_MAX_RUNNING_EDITS = 4
/** Running edits the whole relay takes at once (RELAY_MAX_RUNNING_EDITS). */
export const DEFAULT_RELAY_MAX_RUNNING_EDITS = 32
/**
 * Bytes of uploads and references the relay holds at once (RELAY_MAX_INFLIGHT_MB). Each byte in
 * flight costs the relay about 7× at its peak (the upload parsed, the host request built: see
 * test/campaign/inflight-memory.test.ts), so 128 MB keeps a burst of large references near 1 GB.
 */
export const DEFAULT_MAX_INFLIGHT_BYTES = 128 * 1024 * 1024

/**
 * Most edits end within a minute (a Kontext image takes 5–30 s at the hosts), so a client that
 * waits this long usually finds room. A hint, not a promise.
 */
const OWNER_RETRY_AFTER_SECONDS = 10
const RELAY_RETRY_AFTER_SECONDS = 15

export interface CapacityLimits {
  /** Edits running at once on this relay, all owners together. */
  maxRunningEdits: number
  /** Bytes of request bodies being read plus references of running edits. */
  maxInflightBytes: number
}

/** One edit's place: counted from the moment its upload starts until its host job ends. */
export interface EditHold {
  readonly owner: string
  /** Bytes it holds: its declared body size while the body is read, then its references' bytes. */
  readonly bytes: number
  /**
   * Sets what it holds, e.g. from the declared body size to the references' bytes. Growing past the
   * relay's bytes in flight throws 503 (an upload that declared no size is checked here).
   */
  resize(bytes: number): void
  /** The job took the place over: `abandon` leaves it alone from now on. */
  adopt(): void
  /** Frees the place unless a job took it over (for the request that took it, when it ends). */
  abandon(): void
  /** Frees its place (idempotent). */
  release(): void
}

function mb(bytes: number): string {
  return `${Math.round(bytes / 1048576)} MB`
}

/** What is in flight now: running edits, bytes held, and running edits by owner. */
export interface CapacitySnapshot {
  running: number
  inflightBytes: number
  byOwner: Record<string, number>
}

/** The caps on edits in flight, in this process (see `createEditCapacity`). */
export interface EditCapacity {
  /**
   * Takes a place for one edit of `owner` (who may have `ownerMax` running) holding `holdBytes`,
   * or throws: rate_limited (429) past the owner's cap, relay_busy (503) past the relay's.
   */
  hold(owner: string, ownerMax: number, holdBytes: number): EditHold
  /** What is in flight now, for tests and the operator. */
  snapshot(): CapacitySnapshot
}

/**
 * The caps on edits in flight, in this process: running edits per owner (429), running edits per
 * relay (503), and bytes of references held (503), each with Retry-After. Without them one token
 * could start a thousand edits at once and a few dozen large uploads could take the relay's memory.
 */
export function createEditCapacity(limits: CapacityLimits, log: (event: string, fields: Record<string, unknown>) => void): EditCapacity {
  const byOwner = new Map<string, number>()
  let running = 0
  let bytes = 0

  /** Refuses holding `next` bytes in place of `current` when others already hold bytes and the sum passes the cap. */
  function checkBytes(owner: string, current: number, next: number): void {
    const others = bytes - current
    // An edit alone may always run (the body limit bounds it); only edits beside others wait.
    if (others > 0 && others + next > limits.maxInflightBytes) {
      log('capacity.bytes_full', { owner, inflightBytes: others, requestBytes: next, maxInflightBytes: limits.maxInflightBytes })
      throw new AppError(
        'relay_busy',
        `The relay is busy: it holds ${mb(others)} of images for running edits, and takes at most ${mb(limits.maxInflightBytes)}. Try again in ${RELAY_RETRY_AFTER_SECONDS} seconds.`,
        {
          retryAfterSeconds: RELAY_RETRY_AFTER_SECONDS
        }
      )
    }
  }

  return {
    hold(owner, ownerMax, holdBytes) {
      const mine = byOwner.get(owner) ?? 0
      if (mine >= ownerMax) {
        log('capacity.owner_full', { owner, running: mine, maxRunningEdits: ownerMax })
        throw new AppError(
          'rate_limited',
          `You have ${mine} edit${mine === 1 ? '' : 's'} running, the most this access token may run at once (${ownerMax}). Wait for one to finish, then try again.`,
          { retryAfterSeconds: OWNER_RETRY_AFTER_SECONDS }
        )
      }
      if (running >= limits.maxRunningEdits) {
        log('capacity.relay_full', { owner, running, maxRunningEdits: limits.maxRunningEdits })
        throw new AppError(
          'relay_busy',
          `The relay is busy: it runs at most ${limits.maxRunningEdits} edits at once. Try again in ${RELAY_RETRY_AFTER_SECONDS} seconds.`,
          {
            retryAfterSeconds: RELAY_RETRY_AFTER_SECONDS
          }
        )
      }
      checkBytes(owner, 0, holdBytes)
      byOwner.set(owner, mine + 1)
      running += 1
      bytes += holdBytes
      let held = holdBytes
      let released = false
      let adopted = false
      const hold: EditHold = {
        owner,
        get bytes() {
          return held
        },
        resize(next) {
          if (released) return
          if (next > held) checkBytes(owner, held, next)
          bytes += next - held
          held = next
        },
        adopt() {
          adopted = true
        },
        abandon() {
          if (!adopted) hold.release()
        },
        release() {
          if (released) return
          released = true
          bytes -= held
          running -= 1
          const left = (byOwner.get(owner) ?? 1) - 1
          if (left > 0) byOwner.set(owner, left)
          else byOwner.delete(owner)
        }
      }
      return hold
    },

    snapshot() {
      return { running, inflightBytes: bytes, byOwner: Object.fromEntries(byOwner) }
    }
  }
}
