import { hostFetchAsync, readTextAsync } from '../shared/host-fetch-async'
import { parseJson } from '../shared/parse-json'
import { refusalOf, submitWithRetriesAsync, type SubmitOutcome } from '../shared/submit-with-retries-async'
import { BflSubmitAnswer } from './bfl-answers'
import { BFL_PROVIDER, type BflContext } from './bfl-context'

/** A task BFL accepted: where to follow it, and what it said the task costs. */
export interface BflTask {
  id: string
  pollingUrl: string
  costCredits: number | undefined
}

/** One submission, sent again only when BFL cannot have accepted it (429, 503, never connected): BFL has no idempotency key. */
export async function submitBflTaskAsync(
  context: BflContext,
  path: string,
  body: Record<string, unknown>,
  variant: number,
  signal: AbortSignal
): Promise<BflTask> {
  const payload = JSON.stringify(body)
  return submitWithRetriesAsync<BflTask>(context.deps, signal, {
    attemptAsync: (attempt) => attemptAsync(context, { path, payload, variant, attempt }, signal),
    onRetry: ({ attempt, waitMs, error }) =>
      context.deps.log('provider.retry', { provider: BFL_PROVIDER, variant, attempt, waitMs, detail: error.detail })
  })
}

async function attemptAsync(
  context: BflContext,
  submit: { path: string; payload: string; variant: number; attempt: number },
  signal: AbortSignal
): Promise<SubmitOutcome<BflTask>> {
  const { deps, key, baseUrl, fail } = context
  const { path, variant, attempt } = submit
  deps.log('provider.submit', { provider: BFL_PROVIDER, model: path, variant, attempt })
  const answer = await hostFetchAsync(
    deps.fetch,
    `${baseUrl}/v1/${path}`,
    {
      method: 'POST',
      headers: { 'x-key': key, 'content-type': 'application/json', accept: 'application/json' },
      body: submit.payload,
      redirect: 'manual'
    },
    signal
  )
  if (answer.kind === 'network') {
    // Once the request may have reached BFL it may have been accepted and billed.
    return {
      kind: answer.reachedHost ? 'ambiguous' : 'refused',
      error: fail('provider_unavailable', `submit failed: ${answer.detail}`, answer.error)
    }
  }
  const { response } = answer
  const read = await readTextAsync(response, signal)
  if (response.ok) {
    // A 2xx means BFL took the task: whatever the body, never send it again.
    if (!read.ok)
      return { kind: 'ambiguous', error: fail('provider_error', `submit answered ${response.status} but the ${read.detail}`, read.error) }
    const parsed = BflSubmitAnswer.safeParse(parseJson(read.text))
    if (!parsed.success)
      return {
        kind: 'ambiguous',
        error: fail('provider_error', `submit answered ${response.status} with an unreadable body: ${read.text.slice(0, 200)}`)
      }
    const { id, polling_url: pollingUrl, cost, input_mp: inputMp, output_mp: outputMp } = parsed.data
    // The megapixels BFL billed, beside the cost, so a FLUX.2 charge can be checked against its size.
    deps.log('provider.accepted', {
      provider: BFL_PROVIDER,
      hostJobId: id,
      variant,
      costCredits: cost ?? null,
      inputMp: inputMp ?? null,
      outputMp: outputMp ?? null
    })
    return {
      kind: 'accepted',
      value: { id, pollingUrl: pollingUrl ?? `${baseUrl}/v1/get_result?id=${encodeURIComponent(id)}`, costCredits: cost ?? undefined }
    }
  }
  const text = read.ok ? read.text : ''
  const error = context.statusError(response.status, parseJson(text), text, 'submit')
  return refusalOf(response, error, deps.now()) ?? { kind: response.status >= 500 ? 'ambiguous' : 'final', error }
}
