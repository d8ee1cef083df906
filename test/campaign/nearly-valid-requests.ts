/**
 * fast-check generator of nearly valid edits: a request that one host's offer accepts, with every
 * field drawn from what the offer allows (ranges at and inside their edges, every format and aspect
 * ratio, 1 … maxReferences real PNGs), then left whole or with one or two fields pushed just past
 * an edge (one variant too many, seed + 1, 3001 characters, guidance a hair over, a format the
 * host lacks, one reference too many, a truncated image, a setting the model lacks…). Unlike the
 * malformed generator (malformed-requests.ts), a good share of these reach the job path (202).
 */
import fc from 'fast-check'
import { AspectRatio } from '../../shared/aspect-ratios'
import { PROMPT_MAX_CHARS, PROMPT_MIN_CHARS } from '../../shared/limits'
import { ModelId, type ModelOffer, type ProviderId, type Range } from '../../shared/models'
import { OutputFormat } from '../../shared/relay-api'
import { makePng } from '../fakes/make-image'
import { FUZZ_TOKEN, VALID_PNG, type FuzzRequest } from './malformed-requests'
import { concatBytes } from '../support/concat-bytes'

type Fields = Record<string, unknown>

interface Draft {
  fields: Fields
  images: Uint8Array[]
}

/** One change toward (or past) an edge; `valid` says whether the request stays acceptable. */
interface Mutation {
  name: string
  valid: boolean
  apply: (draft: Draft, offer: ModelOffer) => Draft
}

const REFERENCES = [VALID_PNG, makePng(40, 40, 9), makePng(17, 301, 4), makePng(512, 128, 2)]
const BOUNDARY = '----nearlyValid7MA4YWxkTrZu0gW'

function inRange(range: Range, integer: boolean): fc.Arbitrary<number> {
  const edges = fc.constantFrom(range.min, range.max, range.default)
  const inside = integer ? fc.integer({ min: range.min, max: range.max }) : fc.double({ min: range.min, max: range.max, noNaN: true })
  return fc.oneof(edges, inside)
}

const promptText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('Make the sky purple, keep everything else') },
  { weight: 1, arbitrary: fc.constant('x'.repeat(PROMPT_MIN_CHARS)) },
  { weight: 1, arbitrary: fc.constant('x'.repeat(PROMPT_MAX_CHARS)) },
  { weight: 1, arbitrary: fc.constant(`  ${'é'.repeat(PROMPT_MAX_CHARS)}  `) },
  { weight: 1, arbitrary: fc.constantFrom('Écris « Été 2025 » sur la bannière', '把天空变成紫色', '🙂 sky → purple', 'a\u0301\u0301 b') },
  {
    weight: 2,
    arbitrary: fc
      .string({ unit: 'grapheme-ascii', minLength: PROMPT_MIN_CHARS, maxLength: 200 })
      .filter((text) => text.trim().length >= PROMPT_MIN_CHARS)
  }
)

/** Every field an offer accepts, each present or left out, with values from the offer's own ranges. */
function validDraft(model: ModelId, offer: ModelOffer): fc.Arbitrary<Draft> {
  const optional: Record<string, fc.Arbitrary<unknown>> = {
    model: fc.constant(model),
    aspectRatio: fc.constantFrom(...AspectRatio.options),
    // Mostly one: every variant is a result image the fake host encodes and the relay inspects.
    numImages: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: offer.maxVariants }) }),
    seed: fc.oneof(fc.constantFrom(0, offer.seedMax), fc.integer({ min: 0, max: offer.seedMax })),
    outputFormat: fc.constantFrom(...offer.outputFormats),
    ...(offer.promptUpsampling ? { promptUpsampling: fc.boolean() } : { promptUpsampling: fc.constant(false) }),
    ...(offer.safetyTolerance === null ? {} : { safetyTolerance: inRange(offer.safetyTolerance, true) }),
    ...(offer.guidance === null ? {} : { guidance: inRange(offer.guidance, false) }),
    ...(offer.steps === null ? {} : { steps: inRange(offer.steps, true) }),
    ...(offer.outputQuality === null ? {} : { outputQuality: inRange(offer.outputQuality, true) })
  }
  return fc
    .record({
      prompt: promptText,
      rest: fc.record(optional, { requiredKeys: ['model'] }),
      images: fc.array(fc.constantFrom(...REFERENCES), { minLength: 1, maxLength: offer.maxReferences })
    })
    .map(({ prompt, rest, images }) => ({ fields: { prompt, ...rest }, images }))
}

const set =
  (key: string, value: (offer: ModelOffer) => unknown) =>
  (draft: Draft, offer: ModelOffer): Draft => ({ ...draft, fields: { ...draft.fields, [key]: value(offer) } })

const just = (value: number, integer: boolean): number => (integer ? value + 1 : value + 1e-9)

/** A table: each way one field goes to or past its edge. */
const MUTATIONS: Mutation[] = [
  { name: 'numImages = max', valid: true, apply: set('numImages', (offer) => offer.maxVariants) },
  { name: 'numImages = max + 1', valid: false, apply: set('numImages', (offer) => offer.maxVariants + 1) },
  { name: 'numImages = 0', valid: false, apply: set('numImages', () => 0) },
  { name: 'numImages = 1.5', valid: false, apply: set('numImages', () => 1.5) },
  { name: 'numImages = "2"', valid: false, apply: set('numImages', () => '2') },
  { name: 'seed = seedMax', valid: true, apply: set('seed', (offer) => offer.seedMax) },
  { name: 'seed = seedMax + 1', valid: false, apply: set('seed', (offer) => offer.seedMax + 1) },
  { name: 'seed = -1', valid: false, apply: set('seed', () => -1) },
  { name: 'prompt of the most characters', valid: true, apply: set('prompt', () => 'y'.repeat(PROMPT_MAX_CHARS)) },
  { name: 'prompt one character too long', valid: false, apply: set('prompt', () => 'y'.repeat(PROMPT_MAX_CHARS + 1)) },
  { name: 'prompt one character too short', valid: false, apply: set('prompt', () => 'y'.repeat(PROMPT_MIN_CHARS - 1)) },
  { name: 'prompt only spaces', valid: false, apply: set('prompt', () => ' '.repeat(PROMPT_MIN_CHARS + 3)) },
  {
    name: 'prompt missing',
    valid: false,
    apply: (draft) => ({ ...draft, fields: Object.fromEntries(Object.entries(draft.fields).filter(([key]) => key !== 'prompt')) })
  },
  {
    name: 'outputFormat the host lacks',
    valid: false,
    apply: set('outputFormat', (offer) => OutputFormat.options.find((format) => !offer.outputFormats.includes(format)) ?? 'gif')
  },
  { name: 'aspectRatio unknown', valid: false, apply: set('aspectRatio', () => '16:10') },
  { name: 'model unknown', valid: false, apply: set('model', () => 'kontext-ultra') },
  { name: 'provider not enabled', valid: false, apply: set('provider', () => 'bfl') },
  { name: 'unknown field', valid: false, apply: set('strength', () => 0.5) },
  {
    name: 'promptUpsampling as the model offers it',
    valid: true,
    apply: (draft, offer) => set('promptUpsampling', () => offer.promptUpsampling)(draft, offer)
  },
  {
    name: 'promptUpsampling the model cannot take',
    valid: false,
    apply: (draft, offer) =>
      offer.promptUpsampling ? set('promptUpsampling', () => 'yes')(draft, offer) : set('promptUpsampling', () => true)(draft, offer)
  },
  {
    name: 'safetyTolerance past its edge',
    valid: false,
    apply: set('safetyTolerance', (offer) => (offer.safetyTolerance === null ? 2 : offer.safetyTolerance.max + 1))
  },
  {
    name: 'guidance a hair past its edge',
    valid: false,
    apply: set('guidance', (offer) => (offer.guidance === null ? 3.5 : just(offer.guidance.max, false)))
  },
  {
    name: 'guidance a hair under its edge',
    valid: false,
    apply: set('guidance', (offer) => (offer.guidance === null ? 3.5 : offer.guidance.min - 1e-9))
  },
  { name: 'steps past its edge', valid: false, apply: set('steps', (offer) => (offer.steps === null ? 28 : just(offer.steps.max, true))) },
  {
    name: 'outputQuality under its edge',
    valid: false,
    apply: set('outputQuality', (offer) => (offer.outputQuality === null ? 90 : offer.outputQuality.min - 1))
  },
  { name: 'references = max', valid: true, apply: (draft, offer) => ({ ...draft, images: REFERENCES.slice(0, offer.maxReferences) }) },
  {
    name: 'one reference too many',
    valid: false,
    apply: (draft, offer) => ({ ...draft, images: Array.from({ length: offer.maxReferences + 1 }, () => VALID_PNG) })
  },
  { name: 'no reference', valid: false, apply: (draft) => ({ ...draft, images: [] }) },
  {
    name: 'a truncated reference',
    valid: false,
    apply: (draft) => ({ ...draft, images: [VALID_PNG.slice(0, VALID_PNG.length - 12), ...draft.images.slice(1)] })
  }
]

function formBody(draft: Draft): Uint8Array {
  const encoder = new TextEncoder()
  const pieces: Uint8Array[] = [
    encoder.encode(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="request"\r\n\r\n${JSON.stringify(draft.fields)}\r\n`)
  ]
  draft.images.forEach((bytes, index) => {
    pieces.push(
      encoder.encode(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="frame-${index}.png"\r\nContent-Type: image/png\r\n\r\n`
      ),
      bytes,
      encoder.encode('\r\n')
    )
  })
  pieces.push(encoder.encode(`--${BOUNDARY}--\r\n`))
  return concatBytes(pieces)
}

export interface NearlyValidRequest extends FuzzRequest {
  /** Whether every mutation applied keeps the request acceptable (then the relay must answer 202). */
  expectAccepted: boolean
}

/**
 * `POST /v1/edits` for one host: fully valid (about a third), or with one or two mutations from
 * the table. `offers` are the host's resolved offers (resolveOffer), so the requests follow
 * whatever the relay's config says the host takes.
 */
export function nearlyValidRequest(provider: ProviderId, offers: Partial<Record<ModelId, ModelOffer>>): fc.Arbitrary<NearlyValidRequest> {
  const models = ModelId.options.filter((model) => offers[model] !== undefined)
  return fc
    .constantFrom(...models)
    .chain((model) =>
      fc.record({
        model: fc.constant(model),
        draft: validDraft(model, offers[model]!),
        withProvider: fc.boolean(),
        mutations: fc.oneof(
          { weight: 1, arbitrary: fc.constant([] as Mutation[]) },
          {
            weight: 2,
            arbitrary: fc.uniqueArray(fc.constantFrom(...MUTATIONS), { minLength: 1, maxLength: 2, selector: (mutation) => mutation.name })
          }
        )
      })
    )
    .map(({ model, draft, withProvider, mutations }) => {
      const offer = offers[model]!
      const base: Draft = withProvider ? { ...draft, fields: { ...draft.fields, provider } } : draft
      const mutated = mutations.reduce((current, mutation) => mutation.apply(current, offer), base)
      const kind =
        mutations.length === 0 ? 'nearly valid: whole' : `nearly valid: ${mutations.map((mutation) => mutation.name).join(' + ')}`
      return {
        method: 'POST',
        path: '/v1/edits',
        headers: [
          ['authorization', `Bearer ${FUZZ_TOKEN}`],
          ['content-type', `multipart/form-data; boundary=${BOUNDARY}`]
        ] as Array<[string, string]>,
        body: formBody(mutated),
        kind,
        expectAccepted: mutations.every((mutation) => mutation.valid)
      }
    })
}
