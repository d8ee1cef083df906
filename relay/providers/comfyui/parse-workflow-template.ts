import * as z from 'zod'
import { isLink, linkTarget, findChain } from './reference-chains'
import { WorkflowError, type InputTarget, type SizeTarget, type WorkflowTemplate } from './workflow-template'

const NodeId = z.union([z.string().trim().min(1), z.int().nonnegative()]).transform(String)

const target = (defaultInput: string) =>
  z.union([
    NodeId.transform((node): InputTarget => ({ node, input: defaultInput })),
    z.strictObject({ node: NodeId, input: z.string().min(1).default(defaultInput) })
  ])

const SizeNode = z.union([
  NodeId.transform((node): SizeTarget => ({ node, width: 'width', height: 'height' })),
  z.strictObject({ node: NodeId, width: z.string().min(1).default('width'), height: z.string().min(1).default('height') })
])
/** One node, or several that all take the output size (FLUX.2's latent and its scheduler). */
const Size = z.union([SizeNode.transform((target) => [target]), z.array(SizeNode).min(1)])

const Node = z.looseObject({ class_type: z.string().min(1), inputs: z.record(z.string(), z.unknown()) })

export const WorkflowFile = z.strictObject({
  description: z.string().optional(),
  workflow: z.record(z.string(), Node).refine((graph) => Object.keys(graph).length > 0, 'the workflow has no nodes'),
  nodes: z.strictObject({
    prompt: target('text'),
    images: z.array(target('image')).min(1),
    seed: target('seed'),
    steps: target('steps'),
    guidance: target('guidance'),
    size: Size.optional(),
    save: NodeId
  })
})

/**
 * Reads and checks a parsed workflow file. `maxReferences` is the most references any offer of
 * this host allows: a workflow with fewer LoadImage slots must let the relay add chains.
 */
export function parseWorkflowTemplate(json: unknown, maxReferences: number): WorkflowTemplate {
  const parsed = WorkflowFile.safeParse(json)
  if (!parsed.success) {
    const bare =
      json !== null &&
      typeof json === 'object' &&
      !('workflow' in json) &&
      Object.values(json).some((node) => node !== null && typeof node === 'object' && 'class_type' in node)
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`)
    if (bare) lines.unshift('this is a bare API-format graph; wrap it as {"workflow": <graph>, "nodes": {...}}')
    throw new WorkflowError(lines.join('; '))
  }
  const { workflow: graph, nodes } = parsed.data
  const problems: string[] = []

  for (const [id, node] of Object.entries(graph)) {
    for (const [input, value] of Object.entries(node.inputs)) {
      if (!isLink(value)) continue
      const link = linkTarget(value)
      if (link === undefined) problems.push(`node ${id} input "${input}" is a list but not a link ["<node id>", <output index>]`)
      else if (graph[link.node] === undefined)
        problems.push(`node ${id} input "${input}" links to node ${link.node}, which is not in the workflow`)
    }
  }

  const literal = (what: string, ref: InputTarget, kind: 'string' | 'number'): void => {
    const node = graph[ref.node]
    if (node === undefined) return void problems.push(`nodes.${what}: node ${ref.node} is not in the workflow`)
    if (!(ref.input in node.inputs))
      return void problems.push(`nodes.${what}: node ${ref.node} (${node.class_type}) has no input "${ref.input}"`)
    const value = node.inputs[ref.input]
    if (isLink(value))
      return void problems.push(
        `nodes.${what}: node ${ref.node} input "${ref.input}" is linked to node ${String(value[0])}; map the node that holds the value instead`
      )
    if (typeof value !== kind)
      problems.push(`nodes.${what}: node ${ref.node} input "${ref.input}" holds ${JSON.stringify(value)}, not a ${kind}`)
  }
  literal('prompt', nodes.prompt, 'string')
  nodes.images.forEach((ref, index) => literal(`images[${index}]`, ref, 'string'))
  literal('seed', nodes.seed, 'number')
  literal('steps', nodes.steps, 'number')
  literal('guidance', nodes.guidance, 'number')
  const sizes = nodes.size ?? []
  sizes.forEach((target, index) => {
    const what = sizes.length === 1 ? 'size' : `size[${index}]`
    literal(what, { node: target.node, input: target.width }, 'number')
    literal(what, { node: target.node, input: target.height }, 'number')
  })
  if (graph[nodes.save] === undefined) problems.push(`nodes.save: node ${nodes.save} is not in the workflow`)
  if (new Set(nodes.images.map((ref) => ref.node)).size !== nodes.images.length) problems.push('nodes.images lists the same node twice')
  if (problems.length > 0) throw new WorkflowError(problems.join('; '))

  // Slots after the first are removed when an edit has fewer references; the last slot is copied
  // when it has more. Both need the chain LoadImage → [a scale node] → VAEEncode → ReferenceLatent.
  nodes.images.forEach((ref, index) => {
    if (index === 0) return
    const chain = findChain(graph, ref.node)
    if (typeof chain === 'string') problems.push(`nodes.images[${index}]: ${chain}`)
    else if (!chain.exclusive)
      problems.push(
        `nodes.images[${index}]: its LoadImage → VAEEncode → ReferenceLatent chain also feeds other nodes, so the relay cannot remove it for an edit with fewer references`
      )
  })
  if (nodes.images.length < maxReferences) {
    const last = nodes.images[nodes.images.length - 1]!
    const chain = findChain(graph, last.node)
    if (typeof chain === 'string') {
      problems.push(
        `the relay takes up to ${maxReferences} references but the workflow has ${nodes.images.length} LoadImage slot(s), and it cannot add more: ${chain}. Add more LoadImage nodes to nodes.images, or use that chain`
      )
    }
  }
  if (problems.length > 0) throw new WorkflowError(problems.join('; '))

  return {
    graph,
    prompt: nodes.prompt,
    images: nodes.images,
    seed: nodes.seed,
    steps: nodes.steps,
    guidance: nodes.guidance,
    size: sizes,
    save: nodes.save
  }
}
