import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { PROVIDERS } from '../../../shared/models'
import type { HostConfig } from '../../config'
import { ConfigError } from '../../config-error'
import { parseWorkflowTemplate } from './parse-workflow-template'
import { WORKFLOW_FILES, type ComfyuiModel } from './workflow-files'
import { WorkflowError, type WorkflowTemplate } from './workflow-template'

export interface LoadedWorkflow {
  template: WorkflowTemplate
  /** The file it came from, for the log. */
  source: string
}

/** The references this relay lets an edit of `model` send (the catalogue's, or the operator's override). */
function maxReferencesOf(host: HostConfig, model: ComfyuiModel): number {
  return Math.max(1, host.offerOverrides[model]?.maxReferences ?? PROVIDERS.comfyui.offers[model].maxReferences)
}

/**
 * One model's workflow: the operator's file where its variable is set, else the shipped one;
 * loaded once at startup and checked against that model's reference limit. A bad file stops the
 * relay with the reason, prefixed by the variable that names it.
 */
export function loadWorkflow(host: HostConfig, model: ComfyuiModel): LoadedWorkflow {
  const { setting, shipped, shippedName } = WORKFLOW_FILES[model]
  const file = host.settings[setting]
  const maxReferences = maxReferencesOf(host, model)
  if (file === undefined) return { template: parseWorkflowTemplate(shipped, maxReferences), source: `built-in ${shippedName}` }
  const path = resolve(file)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new ConfigError(
      `${setting}: cannot read ${path}${code === undefined ? '' : ` (${code})`}. Point it at a workflow file as described in docs/comfyui.md.`,
      { cause: error }
    )
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    // The parser's words (where the file breaks) are what the operator needs, so they stay in the message too.
    throw new ConfigError(`${setting}: ${path} is not valid JSON (${error instanceof Error ? error.message : String(error)}).`, {
      cause: error
    })
  }
  try {
    return { template: parseWorkflowTemplate(json, maxReferences), source: path }
  } catch (error) {
    if (!(error instanceof WorkflowError)) throw error
    throw new ConfigError(`${setting}: ${path} is not a usable workflow file: ${error.message}. See docs/comfyui.md for the format.`, {
      cause: error
    })
  }
}
