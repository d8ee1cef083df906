import { PNG } from 'pngjs'

/** How "the model" changes the crop it was sent, for the region-edit browser test. */
export interface AreaAnswerChange {
  /** The picture moves by this many answer pixels (a model rarely redraws in exactly the same place). */
  shiftX: number
  shiftY: number
  /** Added to every channel: the global colour drift a model's round trip brings. */
  levels: number
  /** The text's new colour: every pixel far from the background takes it. */
  ink: readonly [number, number, number]
}

/** Far enough from the background to be the text's ink, not its anti-aliased edge. */
const INK_DISTANCE = 48

function sample(image: PNG, x: number, y: number, channel: number): number {
  const cx = Math.min(Math.max(x, 0), image.width - 1)
  const cy = Math.min(Math.max(y, 0), image.height - 1)
  const [x0, y0] = [Math.floor(cx), Math.floor(cy)]
  const [x1, y1] = [Math.min(x0 + 1, image.width - 1), Math.min(y0 + 1, image.height - 1)]
  const [fx, fy] = [cx - x0, cy - y0]
  const at = (px: number, py: number): number => image.data[(py * image.width + px) * 4 + channel]!
  const top = at(x0, y0) * (1 - fx) + at(x1, y0) * fx
  const bottom = at(x0, y1) * (1 - fx) + at(x1, y1) * fx
  return top * (1 - fy) + bottom * fy
}

/**
 * A stand-in for FLUX Kontext's answer to a crop: the crop scaled to the output size, its text
 * recoloured, every channel shifted by `levels`, the whole picture moved by `shiftX`/`shiftY`. The
 * background is the crop's top-left pixel (the test's frames have a flat fill).
 */
export function makeAreaAnswer(reference: Uint8Array, width: number, height: number, change: AreaAnswerChange): Uint8Array {
  const crop = PNG.sync.read(Buffer.from(reference))
  const background = [crop.data[0]!, crop.data[1]!, crop.data[2]!]
  const out = new PNG({ width, height })
  const [scaleX, scaleY] = [crop.width / width, crop.height / height]
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const sx = (x - change.shiftX + 0.5) * scaleX - 0.5
      const sy = (y - change.shiftY + 0.5) * scaleY - 0.5
      let rgb = [0, 1, 2].map((channel) => sample(crop, sx, sy, channel))
      const distance = Math.max(...rgb.map((value, channel) => Math.abs(value - background[channel]!)))
      if (distance > INK_DISTANCE) rgb = [...change.ink]
      const i = (y * width + x) * 4
      for (let channel = 0; channel < 3; channel += 1)
        out.data[i + channel] = Math.min(255, Math.max(0, Math.round(rgb[channel]! + change.levels)))
      out.data[i + 3] = 255
    }
  }
  return new Uint8Array(PNG.sync.write(out))
}
