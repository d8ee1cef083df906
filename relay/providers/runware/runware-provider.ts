import type { HostConfig } from '../../config'
import type { Provider, ProviderDeps, ProviderEditInput, ProviderResult } from '../provider'
import { runVariantsAsync, type VariantCall } from '../shared/run-variants-async'
import type { RunwareCall, RunwareDelivery } from './build-runware-body'
import { chooseDelivery } from './choose-delivery'
import { createRunwareContext, type RunwareContext } from './runware-context'
import { runRunwareTaskAsync } from './run-runware-task-async'
import { toRunwareResultAsync } from './to-runware-result-async'

/**
 * Runware's REST API (docs/hosts.md, "Runware"): one POST of a JSON task array, Bearer auth. The
 * relay asks for base64 output, so a sync answer carries the bytes in one round trip. Long jobs
 * use `deliveryMethod: "async"` and poll `getResponse` (choose-delivery.ts). Each variant-engine
 * call (relay/providers/shared/run-variants-async.ts) is one imageInference task with its own
 * taskUUID, submitted and followed without ever being paid for twice (run-runware-task-async.ts).
 *
 * The adapter's modules: build-runware-body.ts (the task on the wire), post-runware-async.ts (one
 * POST, sorted by whether Runware can have taken it), follow-runware-task-async.ts (getResponse),
 * run-runware-task-async.ts (submit, recover, follow), to-runware-result-async.ts (results, NSFW,
 * cost), runware-error.ts (Runware's codes as relay codes), runware-answers.ts (answer schemas).
 */
export function createRunwareProvider(host: HostConfig, deps: ProviderDeps): Provider {
  const context = createRunwareContext(host, deps)
  return {
    id: 'runware',
    editAsync(input: ProviderEditInput): Promise<ProviderResult> {
      const delivery = chooseDelivery(input, host.settings.RUNWARE_DELIVERY)
      return runVariantsAsync(input, deps, 'runware', (call) => runCallAsync(context, input, call, delivery))
    }
  }
}

/** One engine call: one task of `call.count` results from `call.seed`, its progress as results come in. */
async function runCallAsync(
  context: RunwareContext,
  input: ProviderEditInput,
  call: VariantCall,
  delivery: RunwareDelivery
): Promise<ProviderResult> {
  const task: RunwareCall = { taskUUID: context.deps.randomUUID(), numberResults: call.count, seed: call.seed, delivery }
  let seen = false
  const report = (done: number, started: boolean): void => {
    seen ||= started
    call.onProgress(done === 0 && !seen ? { status: 'queued' } : { status: 'running', fraction: done / task.numberResults })
  }
  const finished = await runRunwareTaskAsync(context, input, task, report)
  return toRunwareResultAsync(context, task.taskUUID, finished, task.numberResults, input.signal)
}
