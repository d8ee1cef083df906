import * as z from 'zod'

/**
 * A ComfyUI workflow in API format plus the node mapping that says where the relay writes each
 * value (docs/comfyui.md, "Your own workflow"). Parsed and checked once at startup; `buildGraph`
 * then makes one patched copy per prompt, adding or removing reference chains as needed.
 */

export interface ApiNode {
  class_type: string
  inputs: Record<string, unknown>
  [key: string]: unknown
}
export type ApiGraph = Record<string, ApiNode>

export interface InputTarget {
  node: string
  input: string
}

export interface SizeTarget {
  node: string
  width: string
  height: string
}

export interface WorkflowTemplate {
  graph: ApiGraph
  prompt: InputTarget
  /** One LoadImage per reference slot, in order. */
  images: InputTarget[]
  seed: InputTarget
  steps: InputTarget
  guidance: InputTarget
  /** Where the output width and height go; without it the workflow decides the size. */
  size: SizeTarget | undefined
  /** The node whose `outputs[...].images` hold the result (a SaveImage). */
  save: string
}

export interface GraphValues {
  prompt: string
  /** The names `/upload/image` returned, one per reference. */
  images: string[]
  seed: number
  steps: number | undefined
  guidance: number | undefined
  size: { width: number; height: number } | undefined
}

/** A problem with the workflow file, phrased for the operator. */
export class WorkflowError extends Error {
  override readonly name = 'WorkflowError'
}

// ---------------------------------------------------------------------------------------------
// The file format
// ---------------------------------------------------------------------------------------------

const NodeId = z.union([z.string().trim().min(1), z.int().nonnegative()]).transform(String)

const target = (defaultInput: string) =>
  z.union([
    NodeId.transform((node): InputTarget => ({ node, input: defaultInput })),
    z.strictObject({ node: NodeId, input: z.string().min(1).default(defaultInput) })
  ])

const Size = z.union([
  NodeId.transform((node): SizeTarget => ({ node, width: 'width', height: 'height' })),
  z.strictObject({ node: NodeId, width: z.string().min(1).default('width'), height: z.string().min(1).default('height') })
])

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

function isLink(value: unknown): value is unknown[] {
  return Array.isArray(value)
}

function linkTarget(value: unknown): { node: string; slot: number } | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined
  const [node, slot] = value as [unknown, unknown]
  return typeof node === 'string' && Number.isInteger(slot) && (slot as number) >= 0 ? { node, slot: slot as number } : undefined
}

/**
 * Reads and checks a parsed workflow file. `maxReferences` is the most references any offer of
 * this host allows: a workflow with fewer LoadImage slots must let the relay add chains.
 */
export function parseWorkflowTemplate(json: unknown, maxReferences: number): WorkflowTemplate {
  const parsed = WorkflowFile.safeParse(json)
  if (!parsed.success) {
    const bare =
      json !== null && typeof json === 'object' && !('workflow' in json) && Object.values(json).some((node) => node !== null && typeof node === 'object' && 'class_type' in node)
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
      else if (graph[link.node] === undefined) problems.push(`node ${id} input "${input}" links to node ${link.node}, which is not in the workflow`)
    }
  }

  const literal = (what: string, ref: InputTarget, kind: 'string' | 'number'): void => {
    const node = graph[ref.node]
    if (node === undefined) return void problems.push(`nodes.${what}: node ${ref.node} is not in the workflow`)
    if (!(ref.input in node.inputs)) return void problems.push(`nodes.${what}: node ${ref.node} (${node.class_type}) has no input "${ref.input}"`)
    const value = node.inputs[ref.input]
    if (isLink(value)) return void problems.push(`nodes.${what}: node ${ref.node} input "${ref.input}" is linked to node ${String(value[0])}; map the node that holds the value instead`)
    if (typeof value !== kind) problems.push(`nodes.${what}: node ${ref.node} input "${ref.input}" holds ${JSON.stringify(value)}, not a ${kind}`)
  }
  literal('prompt', nodes.prompt, 'string')
  nodes.images.forEach((ref, index) => literal(`images[${index}]`, ref, 'string'))
  literal('seed', nodes.seed, 'number')
  literal('steps', nodes.steps, 'number')
  literal('guidance', nodes.guidance, 'number')
  if (nodes.size !== undefined) {
    literal('size', { node: nodes.size.node, input: nodes.size.width }, 'number')
    literal('size', { node: nodes.size.node, input: nodes.size.height }, 'number')
  }
  if (graph[nodes.save] === undefined) problems.push(`nodes.save: node ${nodes.save} is not in the workflow`)
  if (new Set(nodes.images.map((ref) => ref.node)).size !== nodes.images.length) problems.push('nodes.images lists the same node twice')
  if (problems.length > 0) throw new WorkflowError(problems.join('; '))

  // Slots after the first are removed when an edit has fewer references; the last slot is copied
  // when it has more. Both need the chain LoadImage → [FluxKontextImageScale] → VAEEncode → ReferenceLatent.
  nodes.images.forEach((ref, index) => {
    if (index === 0) return
    const chain = findChain(graph, ref.node)
    if (typeof chain === 'string') problems.push(`nodes.images[${index}]: ${chain}`)
    else if (!chain.exclusive) problems.push(`nodes.images[${index}]: its LoadImage → VAEEncode → ReferenceLatent chain also feeds other nodes, so the relay cannot remove it for an edit with fewer references`)
  })
  if (nodes.images.length < maxReferences) {
    const last = nodes.images[nodes.images.length - 1]!
    const chain = findChain(graph, last.node)
    if (typeof chain === 'string') {
      problems.push(`the relay takes up to ${maxReferences} references but the workflow has ${nodes.images.length} LoadImage slot(s), and it cannot add more: ${chain}. Add more LoadImage nodes to nodes.images, or use that chain`)
    }
  }
  if (problems.length > 0) throw new WorkflowError(problems.join('; '))

  return { graph, prompt: nodes.prompt, images: nodes.images, seed: nodes.seed, steps: nodes.steps, guidance: nodes.guidance, size: nodes.size, save: nodes.save }
}

// ---------------------------------------------------------------------------------------------
// Reference chains
// ---------------------------------------------------------------------------------------------

interface Consumer {
  node: string
  input: string
}

function consumersOf(graph: ApiGraph, id: string, slot = 0): Consumer[] {
  const found: Consumer[] = []
  for (const [node, spec] of Object.entries(graph)) {
    for (const [input, value] of Object.entries(spec.inputs)) {
      const link = linkTarget(value)
      if (link !== undefined && link.node === id && link.slot === slot) found.push({ node, input })
    }
  }
  return found
}

interface Chain {
  load: string
  scale: string | undefined
  encode: string
  reference: string
  /** No node outside the chain reads from it. */
  exclusive: boolean
}

/** LoadImage → [FluxKontextImageScale] → VAEEncode → ReferenceLatent, or why not. */
function findChain(graph: ApiGraph, load: string): Chain | string {
  const describe = `LoadImage node ${load} is not followed by [FluxKontextImageScale →] VAEEncode → ReferenceLatent (latent)`
  const fromLoad = consumersOf(graph, load)
  const scaleUse = fromLoad.find((use) => graph[use.node]?.class_type === 'FluxKontextImageScale' && use.input === 'image')
  let scale: string | undefined
  let encodeUse: Consumer | undefined
  let exclusive = fromLoad.length === 1 && consumersOf(graph, load, 1).length === 0
  if (scaleUse !== undefined) {
    scale = scaleUse.node
    const fromScale = consumersOf(graph, scale)
    exclusive &&= fromScale.length === 1
    encodeUse = fromScale.find((use) => graph[use.node]?.class_type === 'VAEEncode' && use.input === 'pixels')
  } else {
    encodeUse = fromLoad.find((use) => graph[use.node]?.class_type === 'VAEEncode' && use.input === 'pixels')
  }
  if (encodeUse === undefined) return describe
  const fromEncode = consumersOf(graph, encodeUse.node)
  const referenceUses = fromEncode.filter((use) => graph[use.node]?.class_type === 'ReferenceLatent' && use.input === 'latent')
  if (referenceUses.length !== 1) return describe
  const reference = referenceUses[0]!.node
  if (linkTarget(graph[reference]!.inputs.conditioning) === undefined) return `ReferenceLatent node ${reference} has no conditioning link`
  exclusive &&= fromEncode.length === 1
  return { load, scale, encode: encodeUse.node, reference, exclusive }
}

function rewire(graph: ApiGraph, from: string, to: unknown[], except: string): void {
  for (const [id, node] of Object.entries(graph)) {
    if (id === except) continue
    for (const [input, value] of Object.entries(node.inputs)) {
      const link = linkTarget(value)
      if (link !== undefined && link.node === from && link.slot === 0) node.inputs[input] = [...to]
    }
  }
}

function removeChain(graph: ApiGraph, load: string): void {
  const chain = findChain(graph, load)
  if (typeof chain === 'string') throw new WorkflowError(chain)
  const conditioning = graph[chain.reference]!.inputs.conditioning as unknown[]
  rewire(graph, chain.reference, conditioning, chain.reference)
  for (const id of [chain.load, chain.scale, chain.encode, chain.reference]) if (id !== undefined) delete graph[id]
}

/** The last ReferenceLatent of the conditioning chain that starts at `reference`. */
function chainTail(graph: ApiGraph, reference: string): string {
  let tail = reference
  for (let guard = 0; guard < 100; guard += 1) {
    const next = consumersOf(graph, tail).find((use) => graph[use.node]?.class_type === 'ReferenceLatent' && use.input === 'conditioning')
    if (next === undefined) return tail
    tail = next.node
  }
  return tail
}

function nextIdFactory(graph: ApiGraph): () => string {
  let next = Math.max(0, ...Object.keys(graph).map(Number).filter(Number.isInteger)) + 1
  return () => {
    while (graph[String(next)] !== undefined) next += 1
    return String(next++)
  }
}

/** Copies the chain of `load` for one more reference, chained after the last ReferenceLatent; returns the new LoadImage id. */
function addChain(graph: ApiGraph, load: string): string {
  const chain = findChain(graph, load)
  if (typeof chain === 'string') throw new WorkflowError(chain)
  const nextId = nextIdFactory(graph)
  const copy = (id: string): ApiNode => structuredClone(graph[id]!)
  const newLoad = nextId()
  graph[newLoad] = copy(chain.load)
  let pixelsFrom = newLoad
  if (chain.scale !== undefined) {
    const newScale = nextId()
    graph[newScale] = { ...copy(chain.scale), inputs: { ...copy(chain.scale).inputs, image: [newLoad, 0] } }
    pixelsFrom = newScale
  }
  const newEncode = nextId()
  graph[newEncode] = { ...copy(chain.encode), inputs: { ...copy(chain.encode).inputs, pixels: [pixelsFrom, 0] } }
  const tail = chainTail(graph, chain.reference)
  const newReference = nextId()
  graph[newReference] = { ...copy(chain.reference), inputs: { ...copy(chain.reference).inputs, conditioning: [tail, 0], latent: [newEncode, 0] } }
  rewire(graph, tail, [newReference, 0], newReference)
  return newLoad
}

// ---------------------------------------------------------------------------------------------
// Patching
// ---------------------------------------------------------------------------------------------

/** One prompt's graph: the template with the values written in, and one chain per reference. */
export function buildGraph(template: WorkflowTemplate, values: GraphValues): ApiGraph {
  const graph = structuredClone(template.graph)
  const set = (ref: InputTarget, value: unknown): void => {
    graph[ref.node]!.inputs[ref.input] = value
  }
  let slots = [...template.images]
  for (let index = slots.length - 1; index >= values.images.length && index > 0; index -= 1) removeChain(graph, slots[index]!.node)
  slots = slots.slice(0, Math.max(1, values.images.length))
  while (slots.length < values.images.length) {
    const last = slots[slots.length - 1]!
    slots.push({ node: addChain(graph, last.node), input: last.input })
  }
  slots.forEach((slot, index) => set(slot, values.images[index]))
  set(template.prompt, values.prompt)
  set(template.seed, values.seed)
  if (values.steps !== undefined) set(template.steps, values.steps)
  if (values.guidance !== undefined) set(template.guidance, values.guidance)
  if (values.size !== undefined && template.size !== undefined) {
    graph[template.size.node]!.inputs[template.size.width] = values.size.width
    graph[template.size.node]!.inputs[template.size.height] = values.size.height
  }
  return graph
}
