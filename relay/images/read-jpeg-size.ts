import { AppError } from '../../shared/errors'

/**
 * JPEG marker walker (ITU-T T.81 Annex B): SOI, marker segments whose lengths fit, a frame header
 * (SOFn) before the first scan, every scan (SOS) followed by entropy-coded data, and EOI at the
 * end. Bytes after EOI are allowed: encoders and cameras pad or append trailers there, and
 * decoders stop at EOI. It does not decode the entropy data; it refuses a file cut short, or
 * headers with no scan.
 */

/** SOF0–3, 5–7, 9–11, 13–15 (C4 is DHT, C8 is reserved, CC is DAC; T.81 Table B.1). */
const FRAME_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf])
const SOI = 0xd8
const EOI = 0xd9
const SOS = 0xda

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff && bytes[1] === SOI && bytes[2] === 0xff
}

/** Walks a JPEG and returns its frame size; throws `invalid_image` naming `label`. */
export function readJpegSize(bytes: Uint8Array, label: string): { width: number; height: number } {
  const broken = (why: string): AppError => new AppError('invalid_image', `${label} is not a complete JPEG image (${why}).`)
  if (!isJpeg(bytes)) throw broken('no SOI marker')
  let frame: { width: number; height: number } | undefined
  let scanned = false
  let offset = 2
  for (;;) {
    if (bytes[offset] !== 0xff) throw broken('a marker is missing where one must be')
    // Any number of 0xFF fill bytes may precede a marker (T.81 B.1.1.2).
    while (bytes[offset] === 0xff) offset += 1
    // Stryker disable next-line ConditionalExpression,EqualityOperator: past the end, the length check below answers the same
    if (offset >= bytes.length) throw broken('it ends before EOI')
    const marker = bytes[offset]!
    offset += 1
    if (marker === EOI) {
      if (frame === undefined || !scanned) throw broken('it has no image data')
      return frame
    }
    if (marker === SOI || marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) throw broken('a marker out of place')
    if (offset + 2 > bytes.length) throw broken('it ends before EOI')
    const length = (bytes[offset]! << 8) | bytes[offset + 1]!
    const end = offset + length
    if (length < 2 || end > bytes.length) throw broken('a segment runs past the end of the file')
    if (FRAME_MARKERS.has(marker)) {
      if (frame !== undefined) throw broken('a second frame header')
      const components = bytes[offset + 7] ?? 0
      if (components === 0 || length !== 8 + 3 * components) throw broken('the frame header is malformed')
      const height = (bytes[offset + 3]! << 8) | bytes[offset + 4]!
      const width = (bytes[offset + 5]! << 8) | bytes[offset + 6]!
      // Height 0 defers it to a DNL marker after the first scan, which few decoders support.
      if (width === 0 || height === 0) throw broken('the frame header declares no pixels')
      frame = { width, height }
    }
    offset = end
    if (marker !== SOS) continue
    if (frame === undefined) throw broken('a scan before the frame header')
    const components = bytes[end - length + 2] ?? 0
    if (components === 0 || length !== 6 + 2 * components) throw broken('a scan header is malformed')
    // Entropy-coded data runs to the next marker: 0xFF not followed by 0x00 (a stuffed byte) or
    // RST0–7 (restart markers inside the scan).
    const dataStart = offset
    for (;;) {
      const ff = bytes.indexOf(0xff, offset)
      if (ff === -1 || ff + 1 >= bytes.length) throw broken('it ends inside the image data')
      const next = bytes[ff + 1]!
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) {
        offset = ff + 2
        continue
      }
      // Fill bytes before the marker belong to the marker, not to the data.
      offset = ff
      break
    }
    if (offset === dataStart) throw broken('a scan has no image data')
    scanned = true
  }
}
