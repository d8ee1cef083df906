import { PNG } from 'pngjs'

/**
 * A stand-in for a real design frame, painted at any pixel size: a nav bar, a photographic hero
 * with a headline, three cards with photo thumbnails and text, and a button. The layout is in
 * the frame's own proportions, so every export size shows the same design; the photographic
 * parts carry per-pixel grain, so, as with real photos, PNG bytes grow with the pixel count.
 * (test/fakes/make-image.ts's gradient compresses to ~26 kB a megapixel: far too kind for sizing.)
 */

/** Deterministic, fast per-pixel noise (xorshift32). */
function grainSource(seed: number): () => number {
  let state = (seed * 2654435761) >>> 0 || 1
  return () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    return (state & 0xff) / 255 - 0.5
  }
}

/** Smooth value noise on a coarse grid in the frame's own proportions (so it scales with the frame). */
function valueNoise(cols: number, rows: number, seed: number): (u: number, v: number) => number {
  const next = grainSource(seed)
  const grid = Float32Array.from({ length: (cols + 1) * (rows + 1) }, () => next())
  return (u, v) => {
    const x = u * cols
    const y = v * rows
    const x0 = Math.min(cols - 1, Math.floor(x))
    const y0 = Math.min(rows - 1, Math.floor(y))
    const fx = x - x0
    const fy = y - y0
    const sx = fx * fx * (3 - 2 * fx)
    const sy = fy * fy * (3 - 2 * fy)
    const at = (i: number, j: number): number => grid[j * (cols + 1) + i]!
    const top = at(x0, y0) + (at(x0 + 1, y0) - at(x0, y0)) * sx
    const bottom = at(x0, y0 + 1) + (at(x0 + 1, y0 + 1) - at(x0, y0 + 1)) * sx
    return top + (bottom - top) * sy
  }
}

interface Box {
  x0: number
  y0: number
  x1: number
  y1: number
}

const inBox = (u: number, v: number, box: Box): boolean => u >= box.x0 && u < box.x1 && v >= box.y0 && v < box.y1

/** "Words": bars of glyph-like strokes along lines, in the frame's proportions. */
function isText(u: number, v: number, box: Box, lines: number, seed: number): boolean {
  if (!inBox(u, v, box)) return false
  const line = ((v - box.y0) / (box.y1 - box.y0)) * lines
  const within = line - Math.floor(line)
  if (within > 0.62) return false
  const lineIndex = Math.floor(line)
  const along = (u - box.x0) / (box.x1 - box.x0)
  // Lines end at different lengths; words are separated by gaps; glyphs are strokes.
  const end = 0.55 + 0.45 * (((lineIndex * 7919 + seed) % 97) / 97)
  if (along > end) return false
  const word = along * 9 + ((lineIndex * 31 + seed) % 7) * 0.13
  if (word - Math.floor(word) > 0.86) return false
  const glyph = along * 140
  return glyph - Math.floor(glyph) < 0.55 || within < 0.12
}

export function paintDesign(width: number, height: number, seed = 7): Buffer {
  const data = Buffer.alloc(width * height * 4)
  const grain = grainSource(seed)
  const sky = valueNoise(6, 4, seed + 1)
  const texture = valueNoise(48, 28, seed + 2)
  const nav: Box = { x0: 0, y0: 0, x1: 1, y1: 0.07 }
  const navText: Box = { x0: 0.55, y0: 0.025, x1: 0.95, y1: 0.05 }
  const logo: Box = { x0: 0.03, y0: 0.02, x1: 0.12, y1: 0.055 }
  const hero: Box = { x0: 0, y0: 0.07, x1: 1, y1: 0.6 }
  const headline: Box = { x0: 0.08, y0: 0.22, x1: 0.62, y1: 0.36 }
  const button: Box = { x0: 0.08, y0: 0.44, x1: 0.24, y1: 0.5 }
  const cards: Box[] = [0, 1, 2].map((i) => ({ x0: 0.05 + i * 0.31, y0: 0.65, x1: 0.33 + i * 0.31, y1: 0.97 }))
  let i = 0
  const put = (r: number, g: number, b: number): void => {
    data[i] = r < 0 ? 0 : r > 255 ? 255 : r
    data[i + 1] = g < 0 ? 0 : g > 255 ? 255 : g
    data[i + 2] = b < 0 ? 0 : b > 255 ? 255 : b
    data[i + 3] = 255
    i += 4
  }
  for (let y = 0; y < height; y += 1) {
    const v = (y + 0.5) / height
    const inNav = v < nav.y1
    const inHero = v >= hero.y0 && v < hero.y1
    const inCards = v >= cards[0]!.y0 && v < cards[0]!.y1
    for (let x = 0; x < width; x += 1) {
      const u = (x + 0.5) / width
      if (inNav) {
        if (isText(u, v, navText, 1, seed) || isText(u, v, logo, 1, seed + 3)) put(30, 30, 36)
        else put(255, 255, 255)
      } else if (inHero) {
        if (isText(u, v, headline, 2, seed + 5)) put(255, 255, 255)
        else if (inBox(u, v, button)) put(255, 92, 53)
        else {
          const light = sky(u, v) * 90 + texture(u, v) * 50
          const n = grain() * 26
          put(120 + light + (1 - v) * 60 + n, 130 + light * 0.9 + n, 150 + light * 0.6 + v * 40 + n)
        }
      } else if (inCards) {
        const card =
          u < cards[0]!.x1 && u >= cards[0]!.x0
            ? cards[0]!
            : u < cards[1]!.x1 && u >= cards[1]!.x0
              ? cards[1]!
              : u < cards[2]!.x1 && u >= cards[2]!.x0
                ? cards[2]!
                : undefined
        if (card === undefined) {
          put(246, 246, 248)
          continue
        }
        const cv = (v - card.y0) / (card.y1 - card.y0)
        const cu = (u - card.x0) / (card.x1 - card.x0)
        if (cv < 0.55) {
          const light = texture(u, v) * 80 + sky(cu, cv) * 60
          const n = grain() * 26
          put(150 + light + n, 120 + light * 0.8 + cu * 50 + n, 100 + light * 0.5 + n)
        } else if (
          isText(
            u,
            v,
            { x0: card.x0 + 0.02, y0: card.y0 + 0.6 * (card.y1 - card.y0), x1: card.x1 - 0.02, y1: card.y1 - 0.02 },
            4,
            seed + Math.round(card.x0 * 100)
          )
        ) {
          put(60, 60, 70)
        } else {
          put(255, 255, 255)
        }
      } else {
        put(246, 246, 248)
      }
    }
  }
  return data
}

/**
 * PNG bytes as a typical encoder writes them (libpng's defaults): RGBA, adaptive row filters,
 * zlib level 6 with the filtered-data strategy. (pngjs's own default, run-length only, is ~50 % larger.)
 */
export function encodePng(width: number, height: number, rgba: Buffer): Uint8Array {
  const png = new PNG({ width, height })
  rgba.copy(png.data)
  return new Uint8Array(PNG.sync.write(png, { deflateLevel: 6, deflateStrategy: 1, filterType: -1 }))
}

export function designPng(width: number, height: number, seed = 7): Uint8Array {
  return encodePng(width, height, paintDesign(width, height, seed))
}
