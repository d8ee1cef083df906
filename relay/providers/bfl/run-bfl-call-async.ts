import type { ProviderEditInput } from '../provider'
import type { VariantCall, VariantCallResult } from '../shared/run-variants-async'
import type { BflContext } from './bfl-context'
import { buildBflBody } from './build-bfl-body'
import { downloadBflSampleAsync } from './download-bfl-sample-async'
import { followBflTaskAsync } from './follow-bfl-task-async'
import { submitBflTaskAsync } from './submit-bfl-task-async'

/** 1 credit = $0.01 (docs/hosts.md, "Black Forest Labs", pricing). */
const USD_PER_CREDIT = 0.01

/** One BFL task for the variant engine: submit, follow `polling_url`, download the sample. BFL makes one image a call. */
export async function runBflCallAsync(
  context: BflContext,
  input: ProviderEditInput,
  path: string,
  call: VariantCall
): Promise<VariantCallResult> {
  const { signal } = input
  const task = await submitBflTaskAsync(context, path, buildBflBody(input, call.seed), call.firstVariant, signal)
  call.onProgress({ status: 'queued' })
  const finished = await followBflTaskAsync(context, task, call.onProgress, signal)
  const bytes = await downloadBflSampleAsync(context, task.id, finished.sample, signal)
  return {
    images: [{ bytes, seed: finished.seed ?? call.seed }],
    costUsd: task.costCredits === undefined ? undefined : Math.round(task.costCredits * USD_PER_CREDIT * 1e6) / 1e6,
    hostJobId: task.id
  }
}
