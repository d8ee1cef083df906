import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { PROVIDERS, type ModelId } from '../../../shared/models'
import type { HostConfig } from '../../config'
import { ConfigError } from '../../config-error'
import defaultWorkflowFile from './kontext-dev-workflow.json'
import { parseWorkflowTemplate } from './parse-workflow-template'
import { WorkflowError, type WorkflowTemplate } from './workflow-template'

function maxReferencesOf(host: HostConfig): number {
  const offers = Object.entries(PROVIDERS.comfyui.offers) as Array<[ModelId, { maxReferences: number }]>
  return Math.max(1, ...offers.map(([model, offer]) => host.offerOverrides[model]?.maxReferences ?? offer.maxReferences))
}

/** The operator's workflow file, or the shipped one, loaded once at startup; a bad file stops the relay with the reason. */
export function loadWorkflow(host: HostConfig): { template: WorkflowTemplate; source: string } {
  const file = host.settings.COMFYUI_WORKFLOW_FILE
  const maxReferences = maxReferencesOf(host)
  if (file === undefined)
    return { template: parseWorkflowTemplate(defaultWorkflowFile, maxReferences), source: 'built-in kontext-dev-workflow.json' }
  const path = resolve(file)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new ConfigError(
      `COMFYUI_WORKFLOW_FILE: cannot read ${path}${code === undefined ? '' : ` (${code})`}. Point it at a workflow file as described in docs/comfyui.md.`,
      { cause: error }
    )
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    // The parser's words (where the file breaks) are what the operator needs, so they stay in the message too.
    throw new ConfigError(`COMFYUI_WORKFLOW_FILE: ${path} is not valid JSON (${error instanceof Error ? error.message : String(error)}).`, {
      cause: error
    })
  }
  try {
    return { template: parseWorkflowTemplate(json, maxReferences), source: path }
  } catch (error) {
    if (!(error instanceof WorkflowError)) throw error
    throw new ConfigError(
      `COMFYUI_WORKFLOW_FILE: ${path} is not a usable workflow file: ${error.message}. See docs/comfyui.md for the format.`,
      { cause: error }
    )
  }
}
