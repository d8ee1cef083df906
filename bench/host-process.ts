/**
 * Child process: the fixed-latency host (bench/fixed-latency-host.ts) with a precomputed one-megapixel
 * result, in its own process so the host's work never shares an event loop with what is measured.
 */
import { startFixedLatencyHostAsync } from './fixed-latency-host'
import { designPng } from './representative-image'

// Kontext's 3:2 output, the size a 1440×900 frame's edit comes back at.
const RESULT_WIDTH = 1248
const RESULT_HEIGHT = 832
const result = designPng(RESULT_WIDTH, RESULT_HEIGHT, 11)
const host = await startFixedLatencyHostAsync({
  runwareLatencyMs: Number(process.env.BENCH_RUNWARE_LATENCY_MS ?? 500),
  falLatencyMs: Number(process.env.BENCH_FAL_LATENCY_MS ?? 450),
  result,
  resultWidth: RESULT_WIDTH,
  resultHeight: RESULT_HEIGHT
})
process.on('message', (message: { type: string; runwareMs?: number; falMs?: number }) => {
  if (message.type === 'latency') {
    host.setLatency(message.runwareMs ?? 500, message.falMs ?? 450)
    process.send!({ type: 'latency' })
  }
  if (message.type === 'counts') process.send!({ type: 'counts', counts: host.counts })
})
process.on('disconnect', () => process.exit(0))
process.send!({ type: 'ready', url: host.url, resultBytes: result.byteLength, resultWidth: RESULT_WIDTH, resultHeight: RESULT_HEIGHT })
