import * as z from 'zod'
import { DEFAULT_MAX_RUNNING_EDITS } from '../jobs/edit-capacity'
import type { Account } from './account'
import { PLAIN_TOKEN_OWNER_PATTERN } from './plain-token-owner-async'

/** RFC 6750 token68: what a Bearer header can carry, and all Hono's bearer-auth accepts. */
export const TOKEN_PATTERN = /^[A-Za-z0-9._~+/-]+=*$/
export const TOKEN_MIN_CHARS = 16

/** "is required" for a missing field, "must be …" for one of the wrong type. */
function typeError(what: string): { error: (issue: { input?: unknown }) => string } {
  return { error: (issue) => (issue.input === undefined ? `is required: ${what}` : `must be ${what}`) }
}

const TokenEntry = z
  .object({
    token: z
      .string(typeError('a string: the secret the plugin sends'))
      .min(TOKEN_MIN_CHARS, `must have at least ${TOKEN_MIN_CHARS} characters, so it cannot be guessed`)
      .regex(TOKEN_PATTERN, 'may use only letters, digits and . _ ~ + / - (and = at the end)'),
    owner: z
      .string(typeError('a string: a name for the person or team using this token'))
      .trim()
      .min(1, 'must not be empty')
      .max(64, 'can have at most 64 characters')
      .regex(/^[\p{L}\p{N} ._@+-]+$/u, 'may use only letters, digits, spaces and . _ @ + -')
      // Tokens from RELAY_TOKENS are owned by `token-` + 12 hex digits; a file owner named so would share their jobs.
      .refine(
        (owner) => !PLAIN_TOKEN_OWNER_PATTERN.test(owner),
        'must not look like token-<12 hex digits>: those names belong to tokens from RELAY_TOKENS'
      ),
    dailyBudgetUsd: z
      .number(typeError('a number (USD a UTC day), or null for no budget'))
      .nonnegative('must be 0 or more')
      .max(1_000_000, 'must be at most 1000000')
      .nullable(),
    requestsPerMinute: z
      .number(typeError('a number: how many edits a minute the token may start'))
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(10_000, 'must be at most 10000'),
    role: z.enum(['user', 'operator'], { error: 'must be "user" or "operator"' }).default('user'),
    maxRunningEdits: z
      .number(typeError('a number: how many edits the token may have running at once'))
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(1000, 'must be at most 1000')
      .default(DEFAULT_MAX_RUNNING_EDITS)
  })
  .strict()

/**
 * The tokens file (RELAY_TOKENS_FILE): one entry a token, with its owner, daily budget, rate and
 * (optionally) how many edits it may have running at once (default 4).
 *
 * ```json
 * { "tokens": [
 *   { "token": "ke_…", "owner": "alice", "dailyBudgetUsd": 5, "requestsPerMinute": 10 },
 *   { "token": "ke_…", "owner": "ops", "dailyBudgetUsd": null, "requestsPerMinute": 60, "role": "operator", "maxRunningEdits": 8 }
 * ] }
 * ```
 */
export const TokensFile = z
  .object({
    tokens: z
      .array(TokenEntry, typeError('a list of { token, owner, dailyBudgetUsd, requestsPerMinute }'))
      .min(1, 'needs at least one token')
  })
  .strict()
  .superRefine((file, context) => {
    const seenTokens = new Map<string, number>()
    const seenOwners = new Map<string, number>()
    file.tokens.forEach((entry, index) => {
      const tokenTwin = seenTokens.get(entry.token)
      if (tokenTwin !== undefined)
        context.addIssue({
          code: 'custom',
          path: ['tokens', index, 'token'],
          message: `is the same token as tokens[${tokenTwin}]; each token must be different`
        })
      else seenTokens.set(entry.token, index)
      const ownerKey = entry.owner.toLowerCase()
      const ownerTwin = seenOwners.get(ownerKey)
      if (ownerTwin !== undefined)
        context.addIssue({
          code: 'custom',
          path: ['tokens', index, 'owner'],
          message: `"${entry.owner}" is already the owner of tokens[${ownerTwin}]; each owner has one token (budgets are per owner)`
        })
      else seenOwners.set(ownerKey, index)
    })
  })
export type TokensFile = z.infer<typeof TokensFile>

export type TokensFileResult = { ok: true; accounts: Account[] } | { ok: false; problems: string[] }

function pathOf(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`),
    ''
  )
}

/** " (line L, column C)" from the position in a JSON.parse error, or "" when it gives none. */
function whereIn(text: string, error: unknown): string {
  // Stryker disable next-line StringLiteral: JSON.parse throws only SyntaxError, so the '' branch never runs.
  const position = /at position (\d+)/.exec(error instanceof Error ? error.message : '')
  if (position === null) return ''
  const before = text.slice(0, Number(position[1])).split('\n')
  return ` (line ${before.length}, column ${before.at(-1)!.length + 1})`
}

/** Field names are short words; a longer key is likely a token pasted in the wrong place, so it is not shown. */
function fieldNames(keys: readonly string[]): string {
  return keys.map((key) => (/^[A-Za-z]{1,15}$/.test(key) ? key : '(a name that is not shown, as it may be a token)')).join(', ')
}

/** Reads the tokens file's text. Problems name the entry and field (never a token's value). */
export function parseTokensFile(text: string): TokensFileResult {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    // V8's message quotes the text around the mistake, which may be a token: give only where it is.
    return { ok: false, problems: [`it is not valid JSON${whereIn(text, error)}; check the quotes, commas and brackets`] }
  }
  const parsed = TokensFile.safeParse(json)
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => {
        if (issue.code === 'unrecognized_keys')
          return `${pathOf(issue.path) || 'the file'}: unknown field${issue.keys.length > 1 ? 's' : ''} ${fieldNames(issue.keys)}`
        return `${pathOf(issue.path) || 'the file'}: ${issue.message}`
      })
    }
  }
  return {
    ok: true,
    accounts: parsed.data.tokens.map((entry) => ({
      token: entry.token,
      owner: entry.owner,
      dailyBudgetUsd: entry.dailyBudgetUsd,
      requestsPerMinute: entry.requestsPerMinute,
      role: entry.role,
      maxRunningEdits: entry.maxRunningEdits
    }))
  }
}
