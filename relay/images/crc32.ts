/**
 * CRC-32 (ISO 3309, the polynomial PNG chunks use; PNG spec §5.5), slicing-by-8. Written here
 * because `node:zlib`'s crc32 is missing on Cloudflare Workers and before Node 20.15; eight
 * tables keep a megabyte-sized PNG under a millisecond.
 */
const TABLES: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256))
  for (let n = 0; n < 256; n += 1) {
    let c = n
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    tables[0]![n] = c >>> 0
  }
  for (let n = 0; n < 256; n += 1) {
    for (let t = 1; t < 8; t += 1) tables[t]![n] = (tables[0]![tables[t - 1]![n]! & 0xff]! ^ (tables[t - 1]![n]! >>> 8)) >>> 0
  }
  return tables
})()

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array
  ]
  let crc = 0xffffffff
  let i = start
  // Stryker disable next-line ConditionalExpression,EqualityOperator: the byte loop below finishes whatever this one leaves, to the same CRC; only the speed differs
  for (; i + 8 <= end; i += 8) {
    const a = (crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0
    crc =
      t7[a & 0xff]! ^
      t6[(a >>> 8) & 0xff]! ^
      t5[(a >>> 16) & 0xff]! ^
      t4[a >>> 24]! ^
      t3[bytes[i + 4]!]! ^
      t2[bytes[i + 5]!]! ^
      t1[bytes[i + 6]!]! ^
      t0[bytes[i + 7]!]!
  }
  for (; i < end; i += 1) crc = t0[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}
