import { createMiddleware } from 'hono/factory'
import type { Account } from '../auth/account'
import type { EditHold } from '../jobs/edit-capacity'
import type { EditJobs } from '../jobs/edit-jobs'

/**
 * Takes the edit's place among the running edits before its body is read, so an owner over its
 * running edits (429) or a relay over its edits or bytes in flight (503) is answered without
 * reading tens of megabytes first. The place holds the declared body size (Content-Length) while
 * the body is read; the job then holds its references' bytes until its host job ends. An upload
 * that declares no size is checked once its references are known. The request frees the place
 * when it ends, unless the job took it over.
 */
export function holdEditPlace(jobs: Pick<EditJobs, 'holdPlace'>, maxRequestBytes: number) {
  return createMiddleware<{ Variables: { account: Account; editHold: EditHold } }>(async function holdEditPlace(c, next) {
    const declared = Number(c.req.header('content-length') ?? Number.NaN)
    // Stryker disable next-line EqualityOperator: a declared 0 holds 0 bytes either way
    const bytes = Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, maxRequestBytes) : 0
    const hold = jobs.holdPlace(c.get('account'), bytes)
    c.set('editHold', hold)
    try {
      await next()
    } finally {
      hold.abandon()
    }
  })
}
