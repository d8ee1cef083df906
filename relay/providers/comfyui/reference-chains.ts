import { WorkflowError, type ApiGraph, type ApiNode } from './workflow-template'

/** The LoadImage → [scale] → VAEEncode → ReferenceLatent chains of a workflow: found, removed, copied. */

/**
 * The nodes that may scale a reference on its way to VAEEncode, each reading it from `image`:
 * Kontext's template scales to its preferred sizes (FluxKontextImageScale), FLUX.2's to 1 MP
 * (ImageScaleToTotalPixels, Comfy-Org workflow_templates `templates/image_flux2.json`).
 */
const SCALE_NODES: ReadonlySet<string> = new Set(['FluxKontextImageScale', 'ImageScaleToTotalPixels'])

export function isLink(value: unknown): value is unknown[] {
  return Array.isArray(value)
}

export function linkTarget(value: unknown): { node: string; slot: number } | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined
  const [node, slot] = value as [unknown, unknown]
  return typeof node === 'string' && Number.isInteger(slot) && (slot as number) >= 0 ? { node, slot: slot as number } : undefined
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

/** LoadImage → [scale] → VAEEncode → ReferenceLatent, or why not. */
export function findChain(graph: ApiGraph, load: string): Chain | string {
  const describe = `LoadImage node ${load} is not followed by [${[...SCALE_NODES].join(' | ')} →] VAEEncode → ReferenceLatent (latent)`
  const fromLoad = consumersOf(graph, load)
  const scaleUse = fromLoad.find((use) => SCALE_NODES.has(graph[use.node]?.class_type ?? '') && use.input === 'image')
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

export function removeChain(graph: ApiGraph, load: string): void {
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
export function addChain(graph: ApiGraph, load: string): string {
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
  graph[newReference] = {
    ...copy(chain.reference),
    inputs: { ...copy(chain.reference).inputs, conditioning: [tail, 0], latent: [newEncode, 0] }
  }
  rewire(graph, tail, [newReference, 0], newReference)
  return newLoad
}
