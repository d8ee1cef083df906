import type { RgbaImage } from '../../../shared/area/rgba-image'
import { random } from './rgba'

/**
 * A frame render as a designer's frame looks at 2×: a light page, cards with 4 px borders, and
 * lines of "text" (dark 16 px-high words) on them. The hardest kind of ring for a resampled answer
 * to match: sharp, high-contrast edges everywhere.
 */
export function uiScene(width: number, height: number, seed: number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4)
  const next = random(seed)
  const fill = (x0: number, y0: number, x1: number, y1: number, colour: readonly number[]): void => {
    for (let y = Math.max(0, Math.floor(y0)); y < Math.min(height, Math.floor(y1)); y += 1) {
      for (let x = Math.max(0, Math.floor(x0)); x < Math.min(width, Math.floor(x1)); x += 1) data.set([...colour, 255], (y * width + x) * 4)
    }
  }
  fill(0, 0, width, height, [244, 245, 247])
  for (let card = 0; card < (width * height) / 12_000; card += 1) {
    const [x, y] = [next() * width, next() * height]
    const [cardWidth, cardHeight] = [60 + next() * 160, 50 + next() * 120]
    fill(x - 4, y - 4, x + cardWidth + 4, y + cardHeight + 4, [180, 182, 188])
    fill(x, y, x + cardWidth, y + cardHeight, [200 + next() * 55, 200 + next() * 55, 200 + next() * 55])
    for (let line = y + 12; line < y + cardHeight - 20; line += 28) {
      for (let word = x + 10; word < x + cardWidth - 20;) {
        const wordWidth = 12 + next() * 60
        fill(word, line, Math.min(word + wordWidth, x + cardWidth - 10), line + 16, [30, 32, 40])
        word += wordWidth + 12
      }
    }
  }
  return { data, width, height }
}

/** `image` with every colour level moved by `shift` plus uniform noise of ±`noise` levels. */
export function disturb(image: RgbaImage, shift: number, noise: number, seed: number): RgbaImage {
  const next = random(seed)
  const data = new Uint8ClampedArray(image.data)
  for (let i = 0; i < data.length; i += 1) if (i % 4 !== 3) data[i] = data[i]! + shift + (next() * 2 - 1) * noise
  return { data, width: image.width, height: image.height }
}

/** `image` moved `dx` pixels right (the left column repeated). */
export function moveRight(image: RgbaImage, dx: number): RgbaImage {
  const data = new Uint8ClampedArray(image.data.length)
  for (let y = 0; y < image.height; y += 1) {
    for (let x = 0; x < image.width; x += 1) {
      const from = (y * image.width + Math.max(0, x - dx)) * 4
      data.set(image.data.subarray(from, from + 4), (y * image.width + x) * 4)
    }
  }
  return { data, width: image.width, height: image.height }
}
