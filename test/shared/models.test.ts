import { describe, expect, it } from 'vitest'
import { estimateCostUsd, modelsOf, offerOf, PROVIDERS } from '../../shared/models'
import { ROUTES } from '../../shared/relay-api'

describe('looking up the catalogue', () => {
  it('finds a host’s offer of a model, or none', () => {
    expect(offerOf('bfl', 'kontext-pro')).toBe(PROVIDERS.bfl.offers['kontext-pro'])
    expect(offerOf('bfl', 'kontext-dev')).toBeUndefined()
  })

  it('lists a host’s models in the catalogue’s order', () => {
    expect(modelsOf('bfl')).toEqual(['kontext-max', 'kontext-pro'])
    expect(modelsOf('runware')).toEqual(['kontext-max', 'kontext-pro', 'kontext-dev'])
  })
})

describe('estimating a cost', () => {
  it('multiplies and rounds to a hundredth of a cent', () => {
    expect(estimateCostUsd(0.08, 3)).toBe(0.24)
    expect(estimateCostUsd(0.0105, 3)).toBe(0.0315)
    expect(estimateCostUsd(0.00001, 4)).toBe(0)
    expect(estimateCostUsd(0.00004, 4)).toBe(0.0002)
  })
})

describe('the relay’s routes', () => {
  it('escape the job id', () => {
    expect(ROUTES.edit('a/b c')).toBe('/v1/edits/a%2Fb%20c')
    expect(ROUTES.image('a/b', 2)).toBe('/v1/edits/a%2Fb/images/2')
  })
})
